package dev.kiln.ocr;

/**
 * A perspective transform {@code (x, y) -> ((a x + b y + c) / w, (d x + e y + f) / w)} with
 * {@code w = g x + h y + 1}.
 */
record Homography(double a, double b, double c, double d, double e, double f, double g, double h) {

    /**
     * The transform taking the rectangle (0, 0), (width, 0), (width, height), (0, height) to the
     * quadrilateral {@code q} = {x0, y0, ..., x3, y3} (same corner order): Heckbert's closed form
     * for the unit square, scaled to the rectangle.
     */
    static Homography rectangleToQuad(int width, int height, float[] q) {
        double x0 = q[0], y0 = q[1], x1 = q[2], y1 = q[3], x2 = q[4], y2 = q[5], x3 = q[6], y3 = q[7];
        double sx = x0 - x1 + x2 - x3;
        double sy = y0 - y1 + y2 - y3;
        double g = 0;
        double h = 0;
        if (Math.abs(sx) > 1e-9 || Math.abs(sy) > 1e-9) {
            double dx1 = x1 - x2, dx2 = x3 - x2, dy1 = y1 - y2, dy2 = y3 - y2;
            double det = dx1 * dy2 - dx2 * dy1;
            if (Math.abs(det) > 1e-12) {
                g = (sx * dy2 - dx2 * sy) / det;
                h = (dx1 * sy - sx * dy1) / det;
            }
        }
        double a = x1 - x0 + g * x1;
        double b = x3 - x0 + h * x3;
        double d = y1 - y0 + g * y1;
        double e = y3 - y0 + h * y3;
        // Unit square (u, v) = (x / width, y / height).
        return new Homography(a / width, b / height, x0, d / width, e / height, y0, g / width, h / height);
    }

    double[] apply(double x, double y) {
        double w = g * x + h * y + 1;
        return new double[]{(a * x + b * y + c) / w, (d * x + e * y + f) / w};
    }
}
