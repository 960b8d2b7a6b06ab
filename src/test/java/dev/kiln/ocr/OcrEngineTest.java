package dev.kiln.ocr;

import dev.kiln.errors.KilnError;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole of PP-OCR on the demo repository's real models (ONNX Runtime in this process), on generated images. */
class OcrEngineTest {

    private static OrtModelCalls calls;
    private static CtcDecoder dictionary;

    @BeforeAll
    static void models() throws Exception {
        calls = OrtModelCalls.demo(2, 1);
        dictionary = CtcDecoder.fromFile(Path.of("target/demo-models/ppocr-v4-rec/ppocr_keys_v1.txt"));
    }

    @AfterAll
    static void close() throws Exception {
        calls.close();
    }

    private static OcrTestImages.TestImage receipt() {
        return OcrTestImages.render("receipt", "png", 640, 7, List.of(
                new OcrTestImages.LineSpec("Order No. 20931-7781", "DejaVu Sans", 30, false),
                new OcrTestImages.LineSpec("Total: 45.80 USD", "DejaVu Sans", 34, true),
                new OcrTestImages.LineSpec("The harbor opens early", "DejaVu Serif", 24, false)));
    }

    private static List<String> texts(OcrResult result) {
        return result.lines().stream().map(l -> OcrScore.normalise(l.text())).toList();
    }

    private static List<String> truths(OcrTestImages.TestImage image) {
        return image.lines().stream().map(l -> OcrScore.normalise(l.text())).toList();
    }

    @Test
    void readsEnglishDigitsAPriceAndAnUpsideDownLineInReadingOrder() {
        OcrTestImages.TestImage image = receipt();
        OcrResult result = new OcrEngine(calls, OcrModels.demo(), OcrSettings.defaults(), dictionary).read(image.bytes());
        assertEquals(truths(image), texts(result), result.lines().toString());
        OcrScore.Totals score = OcrScore.score(image.lines(), result.lines().stream()
                .map(l -> new OcrScore.Predicted(l.text(), l.box())).toList());
        assertEquals(0, score.strays(), "every box lies on its line");
    }

    @Test
    void withoutTheClassifierTheUpsideDownLineIsNotRead() {
        OcrSettings noClassifier = OcrSettings.defaults().withClassifier(false);
        OcrTestImages.TestImage image = receipt();
        List<String> read = texts(new OcrEngine(calls, OcrModels.demo(), noClassifier, dictionary).read(image.bytes()));
        assertNotEquals(truths(image), read);
        assertEquals(truths(image).get(0), read.get(0));
    }

    @Test
    void aSmallUpsideDownLineTheClassifierIsUnsureOfIsReadBothWays() {
        // Image 11 of the bench set: its third line, about 17 px high, is upside down; the classifier
        // says 180 with only 0.73 (under the 0.9 threshold), and 0.61 for the upright line above it.
        OcrTestImages.TestImage image = OcrTestImages.benchSet(12).get(11);
        assertTrue(image.lines().get(2).upsideDown());
        OcrResult result = new OcrEngine(calls, OcrModels.demo(), OcrSettings.defaults(), dictionary).read(image.bytes());
        List<OcrScore.LineVerdict> verdicts = new java.util.ArrayList<>();
        OcrScore.score(image.lines(), result.lines().stream().map(l -> new OcrScore.Predicted(l.text(), l.box())).toList(), verdicts);
        assertEquals(OcrScore.normalise(image.lines().get(2).text()), OcrScore.normalise(verdicts.get(2).read()));
        assertTrue(verdicts.get(1).found(), verdicts.get(1).toString());
    }

    @Test
    void readsChineseMixedWithEnglish() {
        OcrTestImages.TestImage image = OcrTestImages.render("mixed", "jpeg", 640, 11, List.of(
                new OcrTestImages.LineSpec("欢迎光临 Welcome", OcrTestImages.CJK, 32, false),
                new OcrTestImages.LineSpec("价格 Price: 128.50元", OcrTestImages.CJK, 28, false)));
        OcrResult result = new OcrEngine(calls, OcrModels.demo(), OcrSettings.defaults(), dictionary).read(image.bytes());
        assertEquals(truths(image), texts(result), result.lines().toString());
    }

    @Test
    void aBadImageIsRefusedBeforeAnyModelRuns() {
        AtomicInteger runs = new AtomicInteger();
        ModelCalls counting = (model, inputs) -> {
            runs.incrementAndGet();
            return calls.run(model, inputs);
        };
        OcrEngine engine = new OcrEngine(counting, OcrModels.demo(), OcrSettings.defaults().withMaxPixels(1_000_000), dictionary);
        for (byte[] bad : List.of(new byte[]{1, 2, 3}, ImageDecoderTest.pngHeaderOnly(20000, 20000), ImageDecoderTest.pngHeaderOnly(0, 0))) {
            KilnError e = assertThrows(KilnError.class, () -> engine.read(bad));
            assertEquals(KilnError.Kind.INVALID, e.kind());
        }
        assertEquals(0, runs.get());
        // A blank page: one detector run, no lines.
        OcrResult blank = engine.read(OcrTestImages.render("blank", "png", 320, 3, List.of()).bytes());
        assertEquals(List.of(), blank.lines());
        assertEquals(1, runs.get());
    }

    @Test
    void everyLineOfTheGeneratedSetIsInTheDictionary() {
        java.util.Set<String> known = new java.util.HashSet<>();
        for (int c = 1; c < dictionary.classCount(); c++) {
            known.add(dictionaryClass(c));
        }
        for (OcrTestImages.TestImage image : OcrTestImages.benchSet(12)) {
            for (OcrTestImages.TruthLine line : image.lines()) {
                line.text().codePoints().forEach(cp -> {
                    String ch = new String(Character.toChars(cp));
                    if (!known.contains(ch)) {
                        throw new AssertionError("'" + ch + "' of " + line.text() + " cannot be read");
                    }
                });
            }
        }
    }

    private static String dictionaryClass(int c) {
        float[] one = new float[dictionary.classCount()];
        one[c] = 1;
        return dictionary.decode(new FloatTensor(new long[]{1, 1, one.length}, one)).get(0).text();
    }
}
