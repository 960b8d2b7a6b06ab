package dev.kiln.ocr;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ReadingOrderTest {

    private static TextBox at(float x, float y) {
        return new TextBox(new float[]{x, y, x + 30, y, x + 30, y + 10, x, y + 10}, 1);
    }

    @Test
    void topToBottomThenLeftToRightWithinTheTolerance() {
        TextBox right = at(50, 100);
        TextBox left = at(10, 105);
        TextBox top = at(400, 30);
        TextBox below = at(0, 140);
        // left's top is 5 px below right's but within 10 px: one visual line, so left comes first.
        assertEquals(List.of(top, left, right, below), ReadingOrder.sort(List.of(below, right, left, top), 10));
        // With a tolerance of 3 px they are separate lines, ordered by their tops.
        assertEquals(List.of(top, right, left, below), ReadingOrder.sort(List.of(below, right, left, top), 3));
    }
}
