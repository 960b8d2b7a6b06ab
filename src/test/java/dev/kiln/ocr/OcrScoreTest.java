package dev.kiln.ocr;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class OcrScoreTest {

    private static OcrTestImages.TruthLine truth(String text, float x0, float y0, float x1, float y1) {
        return new OcrTestImages.TruthLine(text, new float[]{x0, y0, x1, y0, x1, y1, x0, y1}, false);
    }

    private static OcrScore.Predicted read(String text, float x0, float y0, float x1, float y1) {
        return new OcrScore.Predicted(text, new float[]{x0, y0, x1, y0, x1, y1, x0, y1});
    }

    @Test
    void editDistanceCountsCodePoints() {
        assertEquals(3, OcrScore.editDistance("kitten", "sitting"));
        assertEquals(1, OcrScore.editDistance("价格", "价"));
        assertEquals("Total:1.5", OcrScore.normalise("Total： 1.5 "), "full width colon and spaces");
    }

    @Test
    void linesAreMatchedByBoxScoredByEditsAndFoundAtNinetyPercent() {
        List<OcrTestImages.TruthLine> truth = List.of(
                truth("Hello world", 10, 10, 200, 40),      // 10 characters without the space
                truth("Total 45.80", 10, 60, 200, 90),       // 10
                truth("never read", 10, 110, 200, 140));     // 9
        List<OcrScore.Predicted> predicted = List.of(
                read("Hello", 5, 8, 90, 42),                 // the first line in two pieces
                read("world", 100, 8, 205, 42),
                read("Tota1 45.8O", 8, 58, 202, 92),         // 2 errors
                read("stray", 300, 300, 400, 320));          // outside every line
        OcrScore.Totals t = OcrScore.score(truth, predicted);
        assertEquals(29, t.characters());
        assertEquals(0 + 2 + 9, t.errors());
        assertEquals(1 - 11.0 / 29, t.charAccuracy(), 1e-12);
        assertEquals(1, t.found(), "2 errors in 10 characters is more than 10 %");
        assertEquals(1, t.exact());
        assertEquals(1, t.strays());
        assertEquals(1 / 3.0, t.lineRecall(), 1e-12);
    }

    @Test
    void garbageCostsAtMostTheLinesLength() {
        OcrScore.Totals t = OcrScore.score(List.of(truth("ab", 0, 0, 100, 20)), List.of(read("xxxxxxxxxx", 0, 0, 100, 20)));
        assertEquals(2, t.errors());
        assertEquals(0, t.charAccuracy(), 1e-12);
    }
}
