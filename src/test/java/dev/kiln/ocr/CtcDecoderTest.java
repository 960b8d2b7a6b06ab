package dev.kiln.ocr;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CtcDecoderTest {

    /** Steps whose most likely classes are {@code best}, each with probability {@code p[t]}. */
    private static FloatTensor steps(int classes, int[] best, float[] p) {
        float[] d = new float[best.length * classes];
        for (int t = 0; t < best.length; t++) {
            for (int k = 0; k < classes; k++) {
                d[t * classes + k] = (1 - p[t]) / (classes - 1);
            }
            d[t * classes + best[t]] = p[t];
        }
        return new FloatTensor(new long[]{1, best.length, classes}, d);
    }

    @Test
    void repeatsCollapseBlanksSeparateAndTheLastClassIsASpace() {
        CtcDecoder decoder = new CtcDecoder(List.of("a", "b", "c"));
        assertEquals(5, decoder.classCount(), "blank, a, b, c, space");
        // a a _ a b b ␣ c _ -> "a" "a" "b" " " "c"
        FloatTensor out = steps(5, new int[]{1, 1, 0, 1, 2, 2, 4, 3, 0}, new float[]{0.9f, 0.8f, 0.99f, 0.7f, 0.6f, 0.5f, 0.8f, 1f, 0.9f});
        CtcDecoder.Text text = decoder.decode(out).get(0);
        assertEquals("aab c", text.text());
        assertEquals((0.9f + 0.7f + 0.6f + 0.8f + 1f) / 5, text.score(), 1e-6);
    }

    @Test
    void anAllBlankLineIsEmptyWithScoreZero() {
        CtcDecoder.Text text = new CtcDecoder(List.of("a")).decode(steps(3, new int[]{0, 0}, new float[]{0.9f, 0.9f})).get(0);
        assertEquals("", text.text());
        assertEquals(0f, text.score());
    }

    @Test
    void theRowsOfABatchDecodeSeparately() {
        float[] d = new float[2 * 2 * 3];
        d[1] = 1; // row 0, step 0: a
        d[3 + 2] = 1; // row 0, step 1: space
        d[6 + 1] = 1; // row 1, step 0: a
        d[9 + 1] = 1; // row 1, step 1: a again (collapsed)
        List<CtcDecoder.Text> texts = new CtcDecoder(List.of("a")).decode(new FloatTensor(new long[]{2, 2, 3}, d));
        assertEquals("a ", texts.get(0).text());
        assertEquals("a", texts.get(1).text());
    }

    @Test
    void ppOcrDictionaryMakesTheRecognisersClassCount() throws Exception {
        CtcDecoder decoder = CtcDecoder.fromFile(Path.of("target/demo-models/ppocr-v4-rec/ppocr_keys_v1.txt"));
        assertEquals(6625, decoder.classCount(), "the v4 recogniser's output has 6625 classes");
        assertThrows(IllegalArgumentException.class, () -> decoder.decode(new FloatTensor(new long[]{1, 1, 3}, new float[3])));
    }
}
