package dev.kiln.ocr;

/**
 * The minimum-area rectangle around a convex polygon. One side of that rectangle lies on an edge of
 * the hull (the theorem behind rotating calipers), so each edge's direction is tried and the
 * smallest rectangle kept; hulls of text regions have a few dozen corners.
 */
final class MinAreaRect {

    /** Corners {x0, y0, ..., x3, y3} in order around the rectangle; {@code width} along the first edge. */
    record Rect(double[] corners, double width, double height) {

        double shortSide() {
            return Math.min(width, height);
        }

        double longSide() {
            return Math.max(width, height);
        }
    }

    private MinAreaRect() {
    }

    /** {@code hull}: {x0, y0, ...} in order around a convex polygon (at least one point). */
    static Rect of(int[] hull) {
        int n = hull.length / 2;
        if (n == 1) {
            return new Rect(new double[]{hull[0], hull[1], hull[0], hull[1], hull[0], hull[1], hull[0], hull[1]}, 0, 0);
        }
        double bestArea = Double.MAX_VALUE;
        Rect best = null;
        for (int i = 0; i < n; i++) {
            int j = (i + 1) % n;
            double ux = hull[2 * j] - hull[2 * i];
            double uy = hull[2 * j + 1] - hull[2 * i + 1];
            double len = Math.hypot(ux, uy);
            if (len == 0) {
                continue;
            }
            ux /= len;
            uy /= len;
            double minU = Double.MAX_VALUE;
            double maxU = -Double.MAX_VALUE;
            double minV = Double.MAX_VALUE;
            double maxV = -Double.MAX_VALUE;
            for (int k = 0; k < n; k++) {
                double px = hull[2 * k];
                double py = hull[2 * k + 1];
                double u = px * ux + py * uy;
                double v = -px * uy + py * ux;
                minU = Math.min(minU, u);
                maxU = Math.max(maxU, u);
                minV = Math.min(minV, v);
                maxV = Math.max(maxV, v);
            }
            double area = (maxU - minU) * (maxV - minV);
            if (area < bestArea - 1e-9) {
                bestArea = area;
                best = rect(ux, uy, minU, maxU, minV, maxV);
            }
        }
        return best;
    }

    /** The rectangle [minU, maxU] × [minV, maxV] in the frame (u along the edge, v across it), in image coordinates. */
    private static Rect rect(double ux, double uy, double minU, double maxU, double minV, double maxV) {
        double[] c = new double[8];
        double[][] uv = {{minU, minV}, {maxU, minV}, {maxU, maxV}, {minU, maxV}};
        for (int i = 0; i < 4; i++) {
            c[2 * i] = uv[i][0] * ux - uv[i][1] * uy;
            c[2 * i + 1] = uv[i][0] * uy + uv[i][1] * ux;
        }
        return new Rect(c, maxU - minU, maxV - minV);
    }
}
