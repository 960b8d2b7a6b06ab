package dev.kiln.ocr;

/**
 * Resizing as OpenCV's INTER_LINEAR does it for 8-bit images: pixel centres aligned
 * ({@code src = (dst + 0.5) * scale - 0.5}), edges replicated, 11-bit fixed-point weights and the
 * same rounding, so a model sees what it saw in PaddleOCR and RapidOCR. No anti-aliasing when
 * shrinking, as there.
 */
public final class Bilinear {

    private static final int BITS = 11;
    private static final int ONE = 1 << BITS;

    private Bilinear() {
    }

    public static RgbImage resize(RgbImage src, int width, int height) {
        if (width == src.width() && height == src.height()) {
            return src;
        }
        int[] x0 = new int[width];
        int[] x1 = new int[width];
        int[] wx = new int[width];
        axis(src.width(), width, x0, x1, wx);
        int[] y0 = new int[height];
        int[] y1 = new int[height];
        int[] wy = new int[height];
        axis(src.height(), height, y0, y1, wy);
        byte[] s = src.rgb();
        byte[] out = new byte[width * height * 3];
        // Separable, as OpenCV does it: each source row is interpolated horizontally once (into ints,
        // weights of 2048) and kept while the destination rows that need it are blended vertically.
        int[] upper = new int[width * 3];
        int[] lower = new int[width * 3];
        int upperRow = -1;
        int lowerRow = -1;
        for (int y = 0, o = 0; y < height; y++) {
            if (upperRow != y0[y]) {
                if (lowerRow == y0[y]) {
                    int[] t = upper;
                    upper = lower;
                    lower = t;
                    lowerRow = -1;
                } else {
                    horizontal(s, y0[y] * src.width() * 3, x0, x1, wx, upper);
                }
                upperRow = y0[y];
            }
            if (lowerRow != y1[y] && y1[y] != upperRow) {
                horizontal(s, y1[y] * src.width() * 3, x0, x1, wx, lower);
                lowerRow = y1[y];
            }
            int[] bottom = y1[y] == upperRow ? upper : lower;
            int b1 = wy[y];
            int b0 = ONE - b1;
            for (int i = 0; i < upper.length; i++, o++) {
                out[o] = (byte) ((upper[i] * b0 + bottom[i] * b1 + (1 << (2 * BITS - 1))) >> (2 * BITS));
            }
        }
        return new RgbImage(width, height, out);
    }

    /** One source row (starting at byte {@code row}) interpolated to the destination's columns. */
    private static void horizontal(byte[] s, int row, int[] x0, int[] x1, int[] wx, int[] out) {
        for (int x = 0, o = 0; x < x0.length; x++, o += 3) {
            int a1 = wx[x];
            int a0 = ONE - a1;
            int c0 = row + x0[x] * 3;
            int c1 = row + x1[x] * 3;
            out[o] = (s[c0] & 0xff) * a0 + (s[c1] & 0xff) * a1;
            out[o + 1] = (s[c0 + 1] & 0xff) * a0 + (s[c1 + 1] & 0xff) * a1;
            out[o + 2] = (s[c0 + 2] & 0xff) * a0 + (s[c1 + 2] & 0xff) * a1;
        }
    }

    /** For each destination index: the two source indices and the weight of the second, in 1/2048. */
    private static void axis(int srcSize, int dstSize, int[] i0, int[] i1, int[] w1) {
        double scale = (double) srcSize / dstSize;
        for (int d = 0; d < dstSize; d++) {
            double f = (d + 0.5) * scale - 0.5;
            int s = (int) Math.floor(f);
            f -= s;
            if (s < 0) {
                s = 0;
                f = 0;
            }
            if (s >= srcSize - 1) {
                s = srcSize - 1;
                f = 0;
            }
            i0[d] = s;
            i1[d] = Math.min(s + 1, srcSize - 1);
            w1[d] = (int) Math.round(f * ONE);
        }
    }
}
