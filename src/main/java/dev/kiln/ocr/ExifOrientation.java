package dev.kiln.ocr;

/**
 * The EXIF orientation of a JPEG (tag 0x0112 of its first image directory): how its stored pixels
 * are turned or mirrored to be seen upright. Cameras and phones store the sensor's pixels and set
 * this tag instead of turning them, so a photo taken upright may be stored on its side; OpenCV,
 * RapidOCR's reader, applies it, and so does Kiln. Anything missing, unknown or malformed is 1
 * (as stored): a bad tag never refuses an image the decoder can read.
 */
public final class ExifOrientation {

    private static final int APP1 = 0xE1;
    private static final int START_OF_SCAN = 0xDA;
    private static final int ORIENTATION_TAG = 0x0112;

    private ExifOrientation() {
    }

    /** 1 to 8 as EXIF numbers them; 1 when the file says nothing usable. */
    public static int of(byte[] jpeg) {
        try {
            return read(jpeg);
        } catch (IndexOutOfBoundsException e) {
            return 1;
        }
    }

    private static int read(byte[] b) {
        if (b.length < 4 || (b[0] & 0xff) != 0xFF || (b[1] & 0xff) != 0xD8) {
            return 1;
        }
        int at = 2;
        while (at + 4 <= b.length && (b[at] & 0xff) == 0xFF) {
            int marker = b[at + 1] & 0xff;
            int length = u16(b, at + 2, false);
            if (marker == START_OF_SCAN || length < 2) {
                return 1;
            }
            if (marker == APP1 && length >= 8 && isExif(b, at + 4)) {
                return orientation(b, at + 10, at + 2 + length);
            }
            at += 2 + length;
        }
        return 1;
    }

    private static boolean isExif(byte[] b, int at) {
        return b[at] == 'E' && b[at + 1] == 'x' && b[at + 2] == 'i' && b[at + 3] == 'f' && b[at + 4] == 0 && b[at + 5] == 0;
    }

    /** {@code tiff}: where the TIFF header starts; offsets inside are counted from there. */
    private static int orientation(byte[] b, int tiff, int end) {
        boolean little = b[tiff] == 'I' && b[tiff + 1] == 'I';
        if (!little && !(b[tiff] == 'M' && b[tiff + 1] == 'M')) {
            return 1;
        }
        long ifd = tiff + u32(b, tiff + 4, little);
        if (ifd + 2 > end) {
            return 1;
        }
        int entries = u16(b, (int) ifd, little);
        for (int i = 0; i < entries; i++) {
            int entry = (int) ifd + 2 + 12 * i;
            if (entry + 12 > end) {
                return 1;
            }
            if (u16(b, entry, little) == ORIENTATION_TAG) {
                int value = u16(b, entry + 8, little);
                return value >= 1 && value <= 8 ? value : 1;
            }
        }
        return 1;
    }

    private static int u16(byte[] b, int at, boolean little) {
        int hi = b[little ? at + 1 : at] & 0xff;
        int lo = b[little ? at : at + 1] & 0xff;
        return hi << 8 | lo;
    }

    private static long u32(byte[] b, int at, boolean little) {
        long hi = u16(b, little ? at + 2 : at, little);
        long lo = u16(b, little ? at : at + 2, little);
        return hi << 16 | lo;
    }

    /** The pixels as they are meant to be seen: turned and mirrored as the orientation says. */
    public static RgbImage upright(RgbImage image, int orientation) {
        if (orientation <= 1 || orientation > 8) {
            return image;
        }
        int w = image.width();
        int h = image.height();
        boolean swaps = orientation >= 5;
        int outW = swaps ? h : w;
        int outH = swaps ? w : h;
        byte[] src = image.rgb();
        byte[] out = new byte[src.length];
        for (int y = 0, o = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++, o += 3) {
                int s = source(orientation, x, y, w, h);
                out[o] = src[s];
                out[o + 1] = src[s + 1];
                out[o + 2] = src[s + 2];
            }
        }
        return new RgbImage(outW, outH, out);
    }

    /** Where in the stored pixels the upright pixel (x, y) comes from, as a byte offset. */
    private static int source(int orientation, int x, int y, int w, int h) {
        int sx;
        int sy;
        switch (orientation) {
            case 2 -> { sx = w - 1 - x; sy = y; }
            case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
            case 4 -> { sx = x; sy = h - 1 - y; }
            case 5 -> { sx = y; sy = x; }
            case 6 -> { sx = y; sy = h - 1 - x; }
            case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
            default -> { sx = w - 1 - y; sy = x; }
        }
        return (sy * w + sx) * 3;
    }
}
