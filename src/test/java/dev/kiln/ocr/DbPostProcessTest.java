package dev.kiln.ocr;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DbPostProcessTest {

    private static final double EPS = 1e-9;

    @Test
    void regionsAre8ConnectedAndGiveEachRowsEnds() {
        byte[] mask = new byte[6 * 4];
        // A diagonal (touching corners only) is one region; a lone pixel far away is another.
        mask[0] = mask[1 + 6] = mask[2 + 12] = 1;
        mask[5 + 18] = 1;
        List<int[]> regions = ConnectedRegions.extremePoints(mask, 6, 4, 10);
        assertEquals(2, regions.size());
        assertArrayEquals(new int[]{0, 0, 1, 1, 2, 2}, regions.get(0));
        assertArrayEquals(new int[]{5, 3}, regions.get(1));
        assertEquals(0, java.util.stream.IntStream.range(0, mask.length).map(i -> mask[i]).sum(), "the mask is used up");
    }

    @Test
    void hullDropsInnerAndCollinearPoints() {
        // Rows of a 5 x 3 block at (2, 1): both ends of each row; the middle row's ends lie on the hull's edges.
        int[] hull = ConvexHull.of(new int[]{2, 1, 6, 1, 2, 2, 6, 2, 2, 3, 6, 3});
        assertEquals(8, hull.length, java.util.Arrays.toString(hull));
        assertTrue(java.util.Set.of("2,1", "6,1", "6,3", "2,3").containsAll(points(hull)), points(hull).toString());
    }

    @Test
    void minimumAreaRectangleOfADiamondIsTheDiamond() {
        // Its axis-aligned box is 4 x 4 = 16; the diamond itself is 2.83 x 2.83 = 8.
        MinAreaRect.Rect r = MinAreaRect.of(new int[]{2, 0, 4, 2, 2, 4, 0, 2});
        assertEquals(8, r.width() * r.height(), 1e-9);
        assertEquals(Math.sqrt(8), r.width(), 1e-9);
        MinAreaRect.Rect block = MinAreaRect.of(new int[]{2, 1, 6, 1, 6, 3, 2, 3});
        assertEquals(4, block.longSide(), EPS);
        assertEquals(2, block.shortSide(), EPS);
    }

    @Test
    void boxScoreIsTheMeanInsideTheQuadBordersIncluded() {
        float[] map = new float[5 * 4];
        for (int i = 0; i < map.length; i++) {
            map[i] = i;
        }
        // Columns 1..3 of rows 1..2: (6 + 7 + 8 + 11 + 12 + 13) / 6 = 9.5. Corners are cut to whole pixels.
        assertEquals(9.5f, BoxScore.mean(java.nio.FloatBuffer.wrap(map), 5, 4, new double[]{1.7, 1.2, 3.9, 1.2, 3.9, 2.8, 1.7, 2.8}), 1e-6);
        // A triangle-like quad (two corners equal): rows 0..2 narrowing: (0 + 1 + 2) + (5 + 6) + (10) = 24 / 6 = 4.
        assertEquals(4f, BoxScore.mean(java.nio.FloatBuffer.wrap(map), 5, 4, new double[]{0, 0, 2, 0, 0, 2, 0, 2}), 1e-6);
    }

    @Test
    void aBlockOfTextBecomesAGrownBoxInImagePixels() {
        // Map 64 x 32 for an image of 128 x 64: a block of 0.9 over columns 8..47 and rows 10..17.
        float[] map = new float[64 * 32];
        for (int y = 10; y <= 17; y++) {
            for (int x = 8; x <= 47; x++) {
                map[y * 64 + x] = 0.9f;
            }
        }
        // A region above the threshold but too unsure (mean 0.4 < 0.5), and one too thin (2 rows).
        for (int x = 50; x < 60; x++) {
            for (int y = 2; y < 8; y++) {
                map[y * 64 + x] = 0.4f;
            }
            map[25 * 64 + x] = map[26 * 64 + x] = 0.95f;
        }
        DetInput input = new DetInput(new FloatTensor(new long[]{1, 3, 32, 64}, new float[3 * 32 * 64]), 128, 64);
        List<TextBox> boxes = new DbPostProcess(0.3f, 0.5f, 1.6f, 3, 1000, false).boxes(new FloatTensor(new long[]{1, 1, 32, 64}, map), input);
        assertEquals(1, boxes.size(), boxes.toString());
        // Pixel centres 8..47 x 10..17: a 39 x 7 rectangle; d = 273 * 1.6 / 92 = 4.748, so x 3.252..51.748 and
        // y 5.252..21.748 on the map; twice that, rounded: x 7..103, y 11..43.
        assertArrayEquals(new float[]{7, 11, 103, 11, 103, 43, 7, 43}, boxes.get(0).xy());
        assertEquals(0.9f, boxes.get(0).score(), 1e-6);
    }

    @Test
    void dilationGrowsRegionsOnePixelRightAndDown() {
        // A full stop one pixel right of its word joins it after dilation (PaddleOCR's 2 x 2 kernel).
        byte[] mask = new byte[5 * 3];
        mask[5 + 1] = 1;
        mask[5 + 3] = 1;
        DbPostProcess.dilate2x2(mask, 5, 3);
        byte[] expected = {0, 0, 0, 0, 0,
                0, 1, 2, 1, 2,
                0, 2, 2, 2, 2};
        assertArrayEquals(expected, mask);
        assertEquals(1, ConnectedRegions.extremePoints(mask, 5, 3, 10).size());
    }

    @Test
    void unclipGrowsEverySideByAreaTimesRatioOverPerimeter() {
        double[] grown = DbPostProcess.unclip(new double[]{0, 0, 10, 0, 10, 4, 0, 4}, 1.5);
        double d = 40 * 1.5 / 28;
        assertArrayEquals(new double[]{-d, -d, 10 + d, -d, 10 + d, 4 + d, -d, 4 + d}, grown, 1e-9);
        // A tilted rectangle keeps its centre and angle.
        double c = Math.cos(0.3), s = Math.sin(0.3);
        double[] tilted = DbPostProcess.miniBox(new double[]{0, 0, 10 * c, 10 * s, 10 * c - 4 * s, 10 * s + 4 * c, -4 * s, 4 * c});
        double[] g = DbPostProcess.unclip(tilted, 1.5);
        assertEquals(10 + 2 * d, Math.hypot(g[2] - g[0], g[3] - g[1]), 1e-9);
        assertEquals(4 + 2 * d, Math.hypot(g[6] - g[0], g[7] - g[1]), 1e-9);
        assertEquals((tilted[0] + tilted[4]) / 2, (g[0] + g[4]) / 2, 1e-9);
    }

    @Test
    void cornersAreOrderedClockwiseFromTheTopLeft() {
        double[] shuffled = {10, 8, 0, 0, 0, 8, 10, 0};
        assertArrayEquals(new double[]{0, 0, 10, 0, 10, 8, 0, 8}, DbPostProcess.clockwiseFromTopLeft(shuffled), EPS);
        // Slightly tilted: (1, 5) has the smallest x + y, (9, 0) the smallest y - x.
        double[] tilted = {9, 0, 11, 6, 3, 11, 1, 5};
        assertArrayEquals(new double[]{1, 5, 9, 0, 11, 6, 3, 11}, DbPostProcess.clockwiseFromTopLeft(tilted), EPS);
        // get_mini_boxes: of the leftmost pair the upper first, then the upper of the rightmost pair.
        assertArrayEquals(new double[]{1, 5, 9, 0, 11, 6, 3, 11}, DbPostProcess.miniBox(tilted), EPS);
    }

    private static List<String> points(int[] p) {
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < p.length; i += 2) {
            out.add(p[i] + "," + p[i + 1]);
        }
        return out;
    }
}
