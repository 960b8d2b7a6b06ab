package dev.kiln.ocr;

/**
 * Writes an RGB image into one row of an NCHW float tensor, channels in BGR order: the PP-OCR
 * models were trained on OpenCV's BGR images, and PaddleOCR and RapidOCR feed them BGR (with
 * ImageNet's mean and deviation applied in the order they are listed, 0.485 to blue). Each channel
 * goes through a 256-entry table, so a pixel costs three look-ups.
 */
final class PlaneWriter {

    private final float[][] tables = new float[3][256];

    /** {@code mean} and {@code std} per tensor channel (0 = blue), on values scaled to 0..1. */
    PlaneWriter(float[] mean, float[] std) {
        for (int c = 0; c < 3; c++) {
            for (int v = 0; v < 256; v++) {
                tables[c][v] = (v / 255f - mean[c]) / std[c];
            }
        }
    }

    /** PaddleOCR's classifier and recogniser: {@code (v / 255 - 0.5) / 0.5}. */
    static PlaneWriter symmetric() {
        return new PlaneWriter(new float[]{0.5f, 0.5f, 0.5f}, new float[]{0.5f, 0.5f, 0.5f});
    }

    /** PaddleOCR's detector: ImageNet's mean and deviation, applied to B, G, R in that order. */
    static PlaneWriter detection() {
        return new PlaneWriter(new float[]{0.485f, 0.456f, 0.406f}, new float[]{0.229f, 0.224f, 0.225f});
    }

    /**
     * Writes {@code image} at the top left of row {@code n} of a tensor of {@code planeHeight} x
     * {@code planeWidth} planes; the rest of the row's planes is left as it is (zero when new).
     */
    void write(RgbImage image, FloatTensor tensor, int n, int planeHeight, int planeWidth) {
        int plane = planeHeight * planeWidth;
        int base = n * 3 * plane;
        byte[] rgb = image.rgb();
        float[] blue = tables[0];
        float[] green = tables[1];
        float[] red = tables[2];
        int w = image.width();
        for (int y = 0; y < image.height(); y++) {
            int i = y * w * 3;
            int o = base + y * planeWidth;
            for (int x = 0; x < w; x++, i += 3, o++) {
                tensor.put(o, blue[rgb[i + 2] & 0xff]);
                tensor.put(o + plane, green[rgb[i + 1] & 0xff]);
                tensor.put(o + 2 * plane, red[rgb[i] & 0xff]);
            }
        }
    }
}
