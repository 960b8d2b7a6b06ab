package dev.kiln.ocr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * PaddleOCR's DBPostProcess (box type "quad", score mode "fast"), turning the detector's
 * probability map into text boxes in image pixels: threshold the map, take each connected region's
 * minimum-area rectangle, drop those too small or too unsure (mean probability inside), grow the
 * rest by {@code area * unclipRatio / perimeter} on every side (what Clipper's round offset of a
 * rectangle comes to), and map them back to the image, corners clockwise from the top left.
 */
public final class DbPostProcess {

    private final float threshold;
    private final float boxThreshold;
    private final float unclipRatio;
    private final int minSize;
    private final int maxCandidates;
    private final boolean dilate;

    /**
     * {@code threshold}: probability above which a pixel is text (0.3); {@code boxThreshold}: least
     * mean probability of a box (0.5 in RapidOCR, 0.6 in PaddleOCR); {@code unclipRatio}: how much a
     * box grows (1.5 to 1.6); {@code minSize}: shortest side kept, in map pixels (3); {@code dilate}:
     * grow the thresholded map by one pixel right and down first (PaddleOCR's use_dilation, a 2 x 2
     * kernel; RapidOCR always does), which joins a full stop or a comma to its word.
     */
    public DbPostProcess(float threshold, float boxThreshold, float unclipRatio, int minSize, int maxCandidates, boolean dilate) {
        this.threshold = threshold;
        this.boxThreshold = boxThreshold;
        this.unclipRatio = unclipRatio;
        this.minSize = minSize;
        this.maxCandidates = maxCandidates;
        this.dilate = dilate;
    }

    /** {@code map}: the detector's output [1, 1, H, W] for {@code input}. */
    public List<TextBox> boxes(FloatTensor map, DetInput input) {
        int h = map.dim(2);
        int w = map.dim(3);
        java.nio.FloatBuffer prob = map.values();
        byte[] mask = new byte[w * h];
        for (int i = 0; i < mask.length; i++) {
            if (prob.get(i) > threshold) {
                mask[i] = 1;
            }
        }
        if (dilate) {
            dilate2x2(mask, w, h);
        }
        List<TextBox> out = new ArrayList<>();
        for (int[] points : ConnectedRegions.extremePoints(mask, w, h, maxCandidates)) {
            TextBox box = box(points, prob, w, h, input);
            if (box != null) {
                out.add(box);
            }
        }
        return out;
    }

    private TextBox box(int[] regionPoints, java.nio.FloatBuffer prob, int w, int h, DetInput input) {
        MinAreaRect.Rect rect = MinAreaRect.of(ConvexHull.of(regionPoints));
        if (rect.shortSide() < minSize) {
            return null;
        }
        double[] quad = miniBox(rect.corners());
        float score = BoxScore.mean(prob, w, h, quad);
        if (score < boxThreshold) {
            return null;
        }
        double[] grown = unclip(quad, unclipRatio);
        double shortSide = Math.min(dist(grown, 0, 1), dist(grown, 0, 3));
        if (shortSide < minSize + 2) {
            return null;
        }
        double[] mapped = new double[8];
        for (int i = 0; i < 4; i++) {
            mapped[2 * i] = clamp(Math.rint(grown[2 * i] / w * input.srcWidth()), input.srcWidth());
            mapped[2 * i + 1] = clamp(Math.rint(grown[2 * i + 1] / h * input.srcHeight()), input.srcHeight());
        }
        double[] ordered = clockwiseFromTopLeft(mapped);
        for (int i = 0; i < 4; i++) {
            ordered[2 * i] = clamp(ordered[2 * i], input.srcWidth() - 1);
            ordered[2 * i + 1] = clamp(ordered[2 * i + 1], input.srcHeight() - 1);
        }
        if ((int) dist(ordered, 0, 1) <= 3 || (int) dist(ordered, 0, 3) <= 3) {
            return null;
        }
        float[] xy = new float[8];
        for (int i = 0; i < 8; i++) {
            xy[i] = (float) ordered[i];
        }
        return new TextBox(xy, score);
    }

    /** OpenCV's dilate with a 2 x 2 kernel (anchor at its centre, 1, 1): each pixel takes the maximum of itself and its left, upper and upper-left neighbours. */
    static void dilate2x2(byte[] mask, int w, int h) {
        for (int y = h - 1; y >= 0; y--) {
            for (int x = w - 1; x >= 0; x--) {
                int i = y * w + x;
                if (mask[i] == 0 && ((x > 0 && mask[i - 1] == 1) || (y > 0 && (mask[i - w] == 1 || (x > 0 && mask[i - w - 1] == 1))))) {
                    mask[i] = 2;
                }
            }
        }
    }

    /**
     * PaddleOCR's get_mini_boxes ordering: of the two leftmost corners the upper one first, then the
     * upper of the two rightmost, the lower right, the lower left.
     */
    static double[] miniBox(double[] corners) {
        Integer[] idx = {0, 1, 2, 3};
        Arrays.sort(idx, (a, b) -> Double.compare(corners[2 * a], corners[2 * b]));
        int first, fourth, second, third;
        if (corners[2 * idx[1] + 1] > corners[2 * idx[0] + 1]) {
            first = idx[0];
            fourth = idx[1];
        } else {
            first = idx[1];
            fourth = idx[0];
        }
        if (corners[2 * idx[3] + 1] > corners[2 * idx[2] + 1]) {
            second = idx[2];
            third = idx[3];
        } else {
            second = idx[3];
            third = idx[2];
        }
        int[] order = {first, second, third, fourth};
        double[] out = new double[8];
        for (int i = 0; i < 4; i++) {
            out[2 * i] = corners[2 * order[i]];
            out[2 * i + 1] = corners[2 * order[i] + 1];
        }
        return out;
    }

    /**
     * Grows a rectangle (corners in order around it) by {@code area * ratio / perimeter} on every
     * side. PaddleOCR offsets the polygon with Clipper (round joins) and takes the minimum-area
     * rectangle of the result; for a rectangle that is exactly this.
     */
    static double[] unclip(double[] rect, double ratio) {
        double area = 0;
        double perimeter = 0;
        for (int i = 0; i < 4; i++) {
            int j = (i + 1) % 4;
            area += rect[2 * i] * rect[2 * j + 1] - rect[2 * j] * rect[2 * i + 1];
            perimeter += dist(rect, i, j);
        }
        double d = Math.abs(area) / 2 * ratio / perimeter;
        double[] u = unit(rect, 0, 1);
        double[] v = unit(rect, 0, 3);
        double[] out = new double[8];
        int[][] signs = {{-1, -1}, {1, -1}, {1, 1}, {-1, 1}};
        for (int i = 0; i < 4; i++) {
            out[2 * i] = rect[2 * i] + d * (signs[i][0] * u[0] + signs[i][1] * v[0]);
            out[2 * i + 1] = rect[2 * i + 1] + d * (signs[i][0] * u[1] + signs[i][1] * v[1]);
        }
        return miniBox(out);
    }

    /**
     * PaddleOCR's order_points_clockwise: the corner with the smallest x + y is the top left, the
     * largest the bottom right; of the other two, the one with the smaller y - x is the top right.
     */
    static double[] clockwiseFromTopLeft(double[] p) {
        int tl = 0, br = 0;
        for (int i = 1; i < 4; i++) {
            if (p[2 * i] + p[2 * i + 1] < p[2 * tl] + p[2 * tl + 1]) {
                tl = i;
            }
            if (p[2 * i] + p[2 * i + 1] > p[2 * br] + p[2 * br + 1]) {
                br = i;
            }
        }
        if (tl == br) {
            return p.clone();
        }
        int a = -1, b = -1;
        for (int i = 0; i < 4; i++) {
            if (i != tl && i != br) {
                if (a < 0) {
                    a = i;
                } else {
                    b = i;
                }
            }
        }
        int tr = p[2 * b + 1] - p[2 * b] < p[2 * a + 1] - p[2 * a] ? b : a;
        int bl = tr == a ? b : a;
        int[] order = {tl, tr, br, bl};
        double[] out = new double[8];
        for (int i = 0; i < 4; i++) {
            out[2 * i] = p[2 * order[i]];
            out[2 * i + 1] = p[2 * order[i] + 1];
        }
        return out;
    }

    private static double[] unit(double[] p, int i, int j) {
        double dx = p[2 * j] - p[2 * i];
        double dy = p[2 * j + 1] - p[2 * i + 1];
        double len = Math.hypot(dx, dy);
        return len == 0 ? new double[]{0, 0} : new double[]{dx / len, dy / len};
    }

    private static double dist(double[] p, int i, int j) {
        return Math.hypot(p[2 * j] - p[2 * i], p[2 * j + 1] - p[2 * i + 1]);
    }

    private static double clamp(double v, int max) {
        return Math.max(0, Math.min(v, max));
    }
}
