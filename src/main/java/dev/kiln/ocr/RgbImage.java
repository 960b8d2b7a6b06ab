package dev.kiln.ocr;

/**
 * An 8-bit RGB image, pixels interleaved row by row ({@code rgb[(y * width + x) * 3 + c]}, c = 0 red).
 * Every OCR step reads and writes this one form.
 */
public record RgbImage(int width, int height, byte[] rgb) {

    public RgbImage {
        if (width <= 0 || height <= 0 || (long) width * height * 3 != rgb.length) {
            throw new IllegalArgumentException("bad image " + width + "x" + height + " with " + rgb.length + " bytes");
        }
    }

    /** Value 0..255 of channel c (0 red, 1 green, 2 blue) at (x, y). For tests and slow paths. */
    public int at(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xff;
    }

    /** A copy turned by 180 degrees (pixel order reversed). */
    public RgbImage rotated180() {
        byte[] out = new byte[rgb.length];
        int n = width * height;
        for (int i = 0, j = (n - 1) * 3; i < n * 3; i += 3, j -= 3) {
            out[j] = rgb[i];
            out[j + 1] = rgb[i + 1];
            out[j + 2] = rgb[i + 2];
        }
        return new RgbImage(width, height, out);
    }

    /** A copy turned by 90 degrees counter-clockwise (numpy's rot90): the right column becomes the top row. */
    public RgbImage rotated90CounterClockwise() {
        int w = height;
        int h = width;
        byte[] out = new byte[rgb.length];
        for (int y = 0; y < h; y++) {
            int srcX = width - 1 - y;
            for (int x = 0; x < w; x++) {
                int s = (x * width + srcX) * 3;
                int d = (y * w + x) * 3;
                out[d] = rgb[s];
                out[d + 1] = rgb[s + 1];
                out[d + 2] = rgb[s + 2];
            }
        }
        return new RgbImage(w, h, out);
    }
}
