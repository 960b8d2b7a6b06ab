package dev.kiln.ocr;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * PaddleOCR's sorted_boxes: boxes by the top-left corner's y, then x; then a box whose top-left y
 * is within {@code tolerance} pixels of the one before it and lies left of it moves up, so the
 * pieces of one visual line read left to right.
 */
public final class ReadingOrder {

    private ReadingOrder() {
    }

    public static List<TextBox> sort(List<TextBox> boxes, float tolerance) {
        List<TextBox> b = new ArrayList<>(boxes);
        b.sort(Comparator.<TextBox>comparingDouble(t -> t.y(0)).thenComparingDouble(t -> t.x(0)));
        for (int i = 0; i < b.size() - 1; i++) {
            for (int j = i; j >= 0; j--) {
                TextBox next = b.get(j + 1);
                TextBox here = b.get(j);
                if (Math.abs(next.y(0) - here.y(0)) < tolerance && next.x(0) < here.x(0)) {
                    b.set(j, next);
                    b.set(j + 1, here);
                } else {
                    break;
                }
            }
        }
        return b;
    }
}
