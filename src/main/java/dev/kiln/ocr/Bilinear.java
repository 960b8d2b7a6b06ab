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
        int stride = src.width() * 3;
        for (int y = 0, o = 0; y < height; y++) {
            int r0 = y0[y] * stride;
            int r1 = y1[y] * stride;
            int b1 = wy[y];
            int b0 = ONE - b1;
            for (int x = 0; x < width; x++) {
                int a1 = wx[x];
                int a0 = ONE - a1;
                int c0 = x0[x] * 3;
                int c1 = x1[x] * 3;
                for (int c = 0; c < 3; c++, o++) {
                    int top = (s[r0 + c0 + c] & 0xff) * a0 + (s[r0 + c1 + c] & 0xff) * a1;
                    int bottom = (s[r1 + c0 + c] & 0xff) * a0 + (s[r1 + c1 + c] & 0xff) * a1;
                    out[o] = (byte) ((top * b0 + bottom * b1 + (1 << (2 * BITS - 1))) >> (2 * BITS));
                }
            }
        }
        return new RgbImage(width, height, out);
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
