package dev.kiln.ocr;

import java.util.List;

/**
 * PaddleOCR's TextClassifier input: each line 48 pixels high, as wide as its aspect ratio asks up
 * to 192, normalised to {@code (v / 255 - 0.5) / 0.5} and padded with zeros on the right, all in one
 * [N, 3, 48, 192] batch (every row has the same shape, so lines of concurrent images batch too).
 */
public final class ClsInput {

    public static final int HEIGHT = 48;
    public static final int WIDTH = 192;
    private static final PlaneWriter NORMALISE = PlaneWriter.symmetric();

    private ClsInput() {
    }

    public static FloatTensor batch(List<RgbImage> lines) {
        FloatTensor tensor = FloatTensor.allocate(lines.size(), 3, HEIGHT, WIDTH);
        for (int n = 0; n < lines.size(); n++) {
            RgbImage line = lines.get(n);
            int width = Math.min(WIDTH, scaledWidth(line));
            NORMALISE.write(Bilinear.resize(line, width, HEIGHT), tensor, n, HEIGHT, WIDTH);
        }
        return tensor;
    }

    /** ceil(48 * width / height): the width at 48 pixels high. */
    static int scaledWidth(RgbImage line) {
        return Math.max(1, (int) Math.ceil(HEIGHT * (double) line.width() / line.height()));
    }
}
