package dev.kiln.ocr;

import java.util.Arrays;

/** One line read: its text, the recogniser's mean confidence, and its box (see {@link TextBox#xy()}). */
public record OcrLine(String text, float score, float[] box) {

    @Override
    public boolean equals(Object o) {
        return o instanceof OcrLine l && text.equals(l.text) && Float.compare(score, l.score) == 0 && Arrays.equals(box, l.box);
    }

    @Override
    public int hashCode() {
        return 31 * text.hashCode() + Arrays.hashCode(box);
    }

    @Override
    public String toString() {
        return "OcrLine[" + text + ", " + score + ", " + Arrays.toString(box) + "]";
    }
}
