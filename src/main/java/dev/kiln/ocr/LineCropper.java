package dev.kiln.ocr;

/**
 * PaddleOCR's get_rotate_crop_image: cuts a text box out of the image and straightens it with a
 * perspective transform (corners clockwise from the top left become the corners of an upright
 * rectangle as wide and as high as the box's longer sides), sampling bilinearly with the edges
 * replicated; a crop at least 1.5 times higher than wide is vertical text and is turned 90 degrees
 * counter-clockwise.
 */
public final class LineCropper {

    private LineCropper() {
    }

    public static RgbImage crop(RgbImage image, TextBox box) {
        float[] p = box.xy();
        int width = (int) Math.max(dist(p, 0, 1), dist(p, 2, 3));
        int height = (int) Math.max(dist(p, 0, 3), dist(p, 1, 2));
        width = Math.max(width, 1);
        height = Math.max(height, 1);
        RgbImage straight = warp(image, Homography.rectangleToQuad(width, height, p), width, height);
        return height >= 1.5 * width ? straight.rotated90CounterClockwise() : straight;
    }

    /** Each output pixel (x, y) takes the image's colour at {@code t(x, y)}. */
    static RgbImage warp(RgbImage image, Homography t, int width, int height) {
        byte[] src = image.rgb();
        int sw = image.width();
        int sh = image.height();
        byte[] out = new byte[width * height * 3];
        for (int y = 0, o = 0; y < height; y++) {
            for (int x = 0; x < width; x++, o += 3) {
                double w = t.g() * x + t.h() * y + 1;
                double sx = (t.a() * x + t.b() * y + t.c()) / w;
                double sy = (t.d() * x + t.e() * y + t.f()) / w;
                int x0 = (int) Math.floor(sx);
                int y0 = (int) Math.floor(sy);
                float fx = (float) (sx - x0);
                float fy = (float) (sy - y0);
                int xa = clamp(x0, sw - 1) * 3;
                int xb = clamp(x0 + 1, sw - 1) * 3;
                int ra = clamp(y0, sh - 1) * sw * 3;
                int rb = clamp(y0 + 1, sh - 1) * sw * 3;
                for (int c = 0; c < 3; c++) {
                    float top = (src[ra + xa + c] & 0xff) * (1 - fx) + (src[ra + xb + c] & 0xff) * fx;
                    float bottom = (src[rb + xa + c] & 0xff) * (1 - fx) + (src[rb + xb + c] & 0xff) * fx;
                    out[o + c] = (byte) Math.round(top * (1 - fy) + bottom * fy);
                }
            }
        }
        return new RgbImage(width, height, out);
    }

    private static int clamp(int v, int max) {
        return v < 0 ? 0 : Math.min(v, max);
    }

    private static double dist(float[] p, int i, int j) {
        return Math.hypot(p[2 * j] - p[2 * i], p[2 * j + 1] - p[2 * i + 1]);
    }
}
