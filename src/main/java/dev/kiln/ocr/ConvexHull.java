package dev.kiln.ocr;

import java.util.Arrays;

/** Andrew's monotone chain over points already sorted by (y, x), as {@link ConnectedRegions} gives them. */
final class ConvexHull {

    private ConvexHull() {
    }

    /**
     * {@code sorted}: {x0, y0, x1, y1, ...} sorted by y, then x. Answers the hull's corners in order
     * around it, without collinear points (one point, or two, for degenerate input).
     */
    static int[] of(int[] sorted) {
        int n = sorted.length / 2;
        if (n <= 2) {
            return n == 2 && sorted[0] == sorted[2] && sorted[1] == sorted[3] ? Arrays.copyOf(sorted, 2) : sorted.clone();
        }
        int[] hull = new int[4 * n + 4];
        int k = 0;
        for (int i = 0; i < n; i++) {
            k = push(hull, k, 0, sorted[2 * i], sorted[2 * i + 1]);
        }
        int lower = k;
        for (int i = n - 2; i >= 0; i--) {
            k = push(hull, k, lower, sorted[2 * i], sorted[2 * i + 1]);
        }
        // The last point repeats the first.
        return Arrays.copyOf(hull, Math.max(2, k - 2));
    }

    /** Adds (x, y), first dropping the points before it that would make a clockwise or straight turn. */
    private static int push(int[] hull, int k, int floor, int x, int y) {
        int min = floor == 0 ? 4 : floor + 2;
        while (k >= min && cross(hull[k - 4], hull[k - 3], hull[k - 2], hull[k - 1], x, y) <= 0) {
            k -= 2;
        }
        hull[k] = x;
        hull[k + 1] = y;
        return k + 2;
    }

    private static long cross(int ox, int oy, int ax, int ay, int bx, int by) {
        return (long) (ax - ox) * (by - oy) - (long) (ay - oy) * (bx - ox);
    }
}
