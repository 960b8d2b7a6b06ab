package dev.kiln.ocr;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class ResizeAndNormaliseTest {

    private static RgbImage grey(int width, int height, int... values) {
        byte[] rgb = new byte[values.length * 3];
        for (int i = 0; i < values.length; i++) {
            rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = (byte) values[i];
        }
        return new RgbImage(width, height, rgb);
    }

    private static int[] greys(RgbImage image) {
        int[] out = new int[image.width() * image.height()];
        for (int i = 0; i < out.length; i++) {
            out[i] = image.rgb()[3 * i] & 0xff;
        }
        return out;
    }

    @Test
    void bilinearEnlargesAsOpenCvDoes() {
        // cv2.resize([[0, 255]], (4, 1)): source x = (x + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25;
        // the ends are clamped: 0, 0.25 * 255 = 63.75 -> 64, 191.25 -> 191, 255.
        assertArrayEquals(new int[]{0, 64, 191, 255}, greys(Bilinear.resize(grey(2, 1, 0, 255), 4, 1)));
    }

    @Test
    void bilinearShrinksByAveragingNeighbours() {
        // Source x = (x + 0.5) * 2 - 0.5 = 0.5 and 2.5: the mean of pixels 0, 1 and of 2, 3.
        assertArrayEquals(new int[]{15, 35}, greys(Bilinear.resize(grey(4, 1, 10, 20, 30, 40), 2, 1)));
        // Both axes: a 2 x 2 block's mean.
        assertArrayEquals(new int[]{25}, greys(Bilinear.resize(grey(2, 2, 10, 20, 30, 40), 1, 1)));
        RgbImage same = grey(2, 1, 1, 2);
        assertSame(same, Bilinear.resize(same, 2, 1));
    }

    @Test
    void detectorInputSidesAreMultiplesOf32UnderTheLimit() {
        DetPreprocess max960 = new DetPreprocess(960, DetPreprocess.LimitType.MAX);
        assertArrayEquals(new int[]{800, 608}, max960.targetSize(800, 600), "600 / 32 = 18.75 rounds to 19");
        assertArrayEquals(new int[]{960, 544}, max960.targetSize(1920, 1080), "halved: 540 / 32 = 16.9 -> 17");
        assertArrayEquals(new int[]{32, 32}, max960.targetSize(16, 10), "16 / 32 = 0.5 rounds to even 0; never below 32");
        assertArrayEquals(new int[]{64, 32}, max960.targetSize(48, 20), "48 / 32 = 1.5 rounds to even 2");
        DetPreprocess min736 = new DetPreprocess(736, DetPreprocess.LimitType.MIN);
        assertArrayEquals(new int[]{1088, 736}, min736.targetSize(300, 200), "enlarged 3.68 times: 1104 / 32 = 34.5 rounds to even 34");
        assertArrayEquals(new int[]{992, 800}, min736.targetSize(1000, 800), "large enough already: 31.25 -> 31");
    }

    @Test
    void detectorInputIsBgrWithImageNetMeanInListedOrder() {
        RgbImage red = new RgbImage(32, 32, new byte[32 * 32 * 3]);
        for (int i = 0; i < 32 * 32; i++) {
            red.rgb()[3 * i] = (byte) 255;
        }
        DetInput input = new DetPreprocess(960, DetPreprocess.LimitType.MAX).prepare(red);
        assertArrayEquals(new long[]{1, 3, 32, 32}, input.tensor().shape());
        float[] d = input.tensor().data();
        int plane = 32 * 32;
        assertEquals((0 - 0.485f) / 0.229f, d[5], 1e-5, "channel 0 is blue, with mean 0.485 and deviation 0.229");
        assertEquals((0 - 0.456f) / 0.224f, d[plane + 5], 1e-5);
        assertEquals((1 - 0.406f) / 0.225f, d[2 * plane + 5], 1e-5, "channel 2 is red");
    }

    @Test
    void classifierLinesAre48HighAtMost192WidePaddedWithZeros() {
        RgbImage white = new RgbImage(24, 24, filled(24 * 24, 255));
        RgbImage black = new RgbImage(96, 24, filled(96 * 24, 0));
        FloatTensor t = ClsInput.batch(java.util.List.of(white, black));
        assertArrayEquals(new long[]{2, 3, 48, 192}, t.shape());
        float[] d = t.data();
        int plane = 48 * 192;
        assertEquals(1f, d[47], "white is (1 - 0.5) / 0.5 over ceil(48 * 24 / 24) = 48 columns");
        assertEquals(0f, d[48], "then zeros");
        assertEquals(-1f, d[3 * plane + 191], "black; 96 x 24 at height 48 is exactly 192 wide");
        assertEquals(-1f, d[3 * plane + 2 * plane + 47 * 192 + 191]);
    }

    @Test
    void recognitionBatchesAreSortedByAspectRatioAndPaddedToTheWidest() {
        RgbImage wide = new RgbImage(96, 24, filled(96 * 24, 255));
        RgbImage square = new RgbImage(24, 24, filled(24 * 24, 255));
        RgbImage twice = new RgbImage(48, 24, filled(48 * 24, 255));
        java.util.List<RecBatches.Batch> batches = RecBatches.of(java.util.List.of(wide, square, twice), 2);
        assertEquals(2, batches.size());
        assertArrayEquals(new int[]{1, 2}, batches.get(0).lines(), "ratios 1 and 2 first");
        assertArrayEquals(new long[]{2, 3, 48, 96}, batches.get(0).tensor().shape(), "48 * 2 = 96 wide");
        float[] d = batches.get(0).tensor().data();
        assertEquals(1f, d[47]);
        assertEquals(0f, d[48], "the square line is padded from column 48");
        assertEquals(1f, d[3 * 48 * 96 + 95], "the ratio-2 line fills its row");
        assertArrayEquals(new int[]{0}, batches.get(1).lines());
        assertArrayEquals(new long[]{1, 3, 48, 192}, batches.get(1).tensor().shape());
    }

    @Test
    void aLineLongerThanTheRecognisersMaximumIsSqueezedToIt() {
        // 10000 x 8 at 48 pixels high would be 60000 wide; the recogniser's memory grows with the square of that.
        RgbImage stretched = new RgbImage(10000, 8, filled(10000 * 8, 255));
        RgbImage ordinary = new RgbImage(200, 40, filled(200 * 40, 255));
        java.util.List<RecBatches.Batch> batches = RecBatches.of(java.util.List.of(stretched, ordinary), 1);
        assertArrayEquals(new long[]{1, 3, 48, 240}, batches.get(0).tensor().shape(), "200 x 40 at height 48 is 240 wide");
        assertArrayEquals(new long[]{1, 3, 48, RecBatches.MAX_WIDTH}, batches.get(1).tensor().shape());
        assertEquals(1f, batches.get(1).tensor().data()[RecBatches.MAX_WIDTH - 1], "squeezed, not cut: white to the last column");
    }

    private static byte[] filled(int pixels, int value) {
        byte[] b = new byte[pixels * 3];
        java.util.Arrays.fill(b, (byte) value);
        return b;
    }
}
