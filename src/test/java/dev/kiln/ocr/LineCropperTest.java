package dev.kiln.ocr;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class LineCropperTest {

    /** Pixel (x, y) has red = x, green = y, blue = 7. */
    private static RgbImage coordinates(int width, int height) {
        byte[] rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                rgb[(y * width + x) * 3] = (byte) x;
                rgb[(y * width + x) * 3 + 1] = (byte) y;
                rgb[(y * width + x) * 3 + 2] = 7;
            }
        }
        return new RgbImage(width, height, rgb);
    }

    @Test
    void anUprightBoxIsCutOutPixelForPixel() {
        RgbImage image = coordinates(40, 30);
        RgbImage crop = LineCropper.crop(image, new TextBox(new float[]{5, 4, 25, 4, 25, 12, 5, 12}, 1));
        assertEquals(20, crop.width());
        assertEquals(8, crop.height());
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 20; x++) {
                assertEquals(5 + x, crop.at(x, y, 0));
                assertEquals(4 + y, crop.at(x, y, 1));
            }
        }
    }

    @Test
    void aTiltedBoxIsStraightened() {
        // The box's top edge runs from (10, 20) to (40, 10): along it, x rises by 3 for every 1 y falls.
        RgbImage image = coordinates(60, 60);
        RgbImage crop = LineCropper.crop(image, new TextBox(new float[]{10, 20, 40, 10, 43, 19, 13, 29}, 1));
        assertEquals((int) Math.hypot(30, 10), crop.width());
        assertEquals((int) Math.hypot(3, 9), crop.height());
        assertEquals(10, crop.at(0, 0, 0));
        assertEquals(20, crop.at(0, 0, 1));
        // Halfway along the top edge: (10 + 15 * 30 / 31.62 ..): pixel 15 of 31 maps to x = 10 + 30 * 15 / 31.
        assertEquals(Math.round(10 + 30 * 15 / 31.0), crop.at(15, 0, 0), 1);
        assertEquals(Math.round(20 - 10 * 15 / 31.0), crop.at(15, 0, 1), 1);
    }

    @Test
    void aTallCropIsTurnedCounterClockwise() {
        RgbImage image = coordinates(40, 40);
        RgbImage crop = LineCropper.crop(image, new TextBox(new float[]{10, 5, 16, 5, 16, 35, 10, 35}, 1));
        // 6 wide, 30 high -> 30 wide, 6 high; the right column (x = 15) becomes the top row, its top pixel first.
        assertEquals(30, crop.width());
        assertEquals(6, crop.height());
        assertEquals(15, crop.at(0, 0, 0));
        assertEquals(5, crop.at(0, 0, 1));
        assertEquals(5 + 29, crop.at(29, 0, 1));
        assertEquals(10, crop.at(0, 5, 0));
    }

    @Test
    void homographyTakesTheRectangleToTheQuad() {
        float[] q = {3, 4, 50, 9, 45, 40, 1, 30};
        Homography h = Homography.rectangleToQuad(20, 10, q);
        assertArrayEquals(new double[]{3, 4}, h.apply(0, 0), 1e-9);
        assertArrayEquals(new double[]{50, 9}, h.apply(20, 0), 1e-9);
        assertArrayEquals(new double[]{45, 40}, h.apply(20, 10), 1e-9);
        assertArrayEquals(new double[]{1, 30}, h.apply(0, 10), 1e-9);
    }

    @Test
    void rotationsMovePixelsWhereExpected() {
        RgbImage image = coordinates(3, 2);
        RgbImage half = image.rotated180();
        assertEquals(2, half.at(0, 0, 0));
        assertEquals(1, half.at(0, 0, 1));
        RgbImage quarter = image.rotated90CounterClockwise();
        assertEquals(2, quarter.width());
        assertEquals(3, quarter.height());
        // numpy.rot90: the top row is the old right column.
        assertEquals(2, quarter.at(0, 0, 0));
        assertEquals(0, quarter.at(0, 0, 1));
        assertEquals(2, quarter.at(1, 0, 0));
        assertEquals(1, quarter.at(1, 0, 1));
        assertEquals(0, quarter.at(0, 2, 0));
    }
}
