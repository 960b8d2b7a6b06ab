package dev.kiln.ocr;

import java.util.Arrays;

/**
 * A detected text region: four corners {@code x0, y0, ..., x3, y3} in image pixels, clockwise from
 * the top left, and the detector's confidence (mean text probability inside it).
 */
public record TextBox(float[] xy, float score) {

    public TextBox {
        if (xy.length != 8) {
            throw new IllegalArgumentException("a box has four corners");
        }
    }

    public float x(int corner) {
        return xy[2 * corner];
    }

    public float y(int corner) {
        return xy[2 * corner + 1];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TextBox b && Arrays.equals(xy, b.xy) && Float.compare(score, b.score) == 0;
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(xy) + Float.hashCode(score);
    }

    @Override
    public String toString() {
        return "TextBox" + Arrays.toString(xy) + " score " + score;
    }
}
