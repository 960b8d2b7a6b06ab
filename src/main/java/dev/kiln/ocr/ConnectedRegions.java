package dev.kiln.ocr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The 8-connected regions of a binary map, each reduced to what its convex hull needs: the leftmost
 * and rightmost pixel of every row it covers. The points come out sorted by (y, x), ready for
 * {@link ConvexHull}. One flood fill per region, one visit per pixel.
 */
final class ConnectedRegions {

    private ConnectedRegions() {
    }

    /**
     * {@code mask}: width × height, non-zero = foreground; it is cleared as regions are taken.
     * Answers at most {@code maxRegions} regions, in the order their first pixel is met (top to
     * bottom, left to right); each is {x0, y0, x1, y1, ...}.
     */
    static List<int[]> extremePoints(byte[] mask, int width, int height, int maxRegions) {
        List<int[]> regions = new ArrayList<>();
        int[] rowMin = new int[height];
        int[] rowMax = new int[height];
        int[] stack = new int[64];
        for (int start = 0; start < mask.length && regions.size() < maxRegions; start++) {
            if (mask[start] == 0) {
                continue;
            }
            int top = start / width;
            int bottom = top;
            rowMin[top] = Integer.MAX_VALUE;
            rowMax[top] = -1;
            mask[start] = 0;
            int size = 0;
            stack[size++] = start;
            while (size > 0) {
                int p = stack[--size];
                int y = p / width;
                int x = p - y * width;
                while (y > bottom) {
                    bottom++;
                    rowMin[bottom] = Integer.MAX_VALUE;
                    rowMax[bottom] = -1;
                }
                if (x < rowMin[y]) {
                    rowMin[y] = x;
                }
                if (x > rowMax[y]) {
                    rowMax[y] = x;
                }
                if (size + 8 > stack.length) {
                    stack = Arrays.copyOf(stack, stack.length * 2);
                }
                for (int dy = -1; dy <= 1; dy++) {
                    int ny = y + dy;
                    if (ny < 0 || ny >= height) {
                        continue;
                    }
                    for (int dx = -1; dx <= 1; dx++) {
                        int nx = x + dx;
                        if (nx < 0 || nx >= width) {
                            continue;
                        }
                        int q = ny * width + nx;
                        if (mask[q] != 0) {
                            mask[q] = 0;
                            stack[size++] = q;
                        }
                    }
                }
            }
            regions.add(points(rowMin, rowMax, top, bottom));
        }
        return regions;
    }

    private static int[] points(int[] rowMin, int[] rowMax, int top, int bottom) {
        int[] out = new int[(bottom - top + 1) * 4];
        int n = 0;
        for (int y = top; y <= bottom; y++) {
            out[n++] = rowMin[y];
            out[n++] = y;
            if (rowMax[y] != rowMin[y]) {
                out[n++] = rowMax[y];
                out[n++] = y;
            }
        }
        return Arrays.copyOf(out, n);
    }
}
