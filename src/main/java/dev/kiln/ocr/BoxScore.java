package dev.kiln.ocr;

/**
 * PaddleOCR's box_score_fast: the mean probability of the pixels inside a convex quadrilateral,
 * its corners cut to whole pixels first (as cv2.fillPoly is given int32 points), pixels on the
 * border included.
 */
final class BoxScore {

    private BoxScore() {
    }

    /** {@code quad}: {x0, y0, ..., x3, y3} in map pixels, in order around it. */
    static float mean(java.nio.FloatBuffer map, int width, int height, double[] quad) {
        double minX = Double.MAX_VALUE, maxX = -Double.MAX_VALUE, minY = Double.MAX_VALUE, maxY = -Double.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            minX = Math.min(minX, quad[2 * i]);
            maxX = Math.max(maxX, quad[2 * i]);
            minY = Math.min(minY, quad[2 * i + 1]);
            maxY = Math.max(maxY, quad[2 * i + 1]);
        }
        int x0 = clamp((int) Math.floor(minX), width - 1);
        int x1 = clamp((int) Math.ceil(maxX), width - 1);
        int y0 = clamp((int) Math.floor(minY), height - 1);
        int y1 = clamp((int) Math.ceil(maxY), height - 1);
        int[] px = new int[4];
        int[] py = new int[4];
        for (int i = 0; i < 4; i++) {
            px[i] = (int) (quad[2 * i] - x0) + x0;
            py[i] = (int) (quad[2 * i + 1] - y0) + y0;
        }
        double sum = 0;
        int count = 0;
        for (int y = y0; y <= y1; y++) {
            double left = Double.MAX_VALUE;
            double right = -Double.MAX_VALUE;
            for (int i = 0; i < 4; i++) {
                int j = (i + 1) % 4;
                int ya = py[i];
                int yb = py[j];
                if (y < Math.min(ya, yb) || y > Math.max(ya, yb)) {
                    continue;
                }
                if (ya == yb) {
                    left = Math.min(left, Math.min(px[i], px[j]));
                    right = Math.max(right, Math.max(px[i], px[j]));
                } else {
                    double x = px[i] + (double) (y - ya) * (px[j] - px[i]) / (yb - ya);
                    left = Math.min(left, x);
                    right = Math.max(right, x);
                }
            }
            if (left > right) {
                continue;
            }
            int from = Math.max(x0, (int) Math.ceil(left - 1e-6));
            int to = Math.min(x1, (int) Math.floor(right + 1e-6));
            for (int x = from, i = y * width + from; x <= to; x++, i++) {
                sum += map.get(i);
                count++;
            }
        }
        return count == 0 ? 0f : (float) (sum / count);
    }

    private static int clamp(int v, int max) {
        return Math.max(0, Math.min(v, max));
    }
}
