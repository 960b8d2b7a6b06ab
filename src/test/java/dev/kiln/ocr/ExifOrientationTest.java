package dev.kiln.ocr;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * JPEGs whose EXIF orientation says how to turn them: a 64x32 picture, red on the left and blue on
 * the right, decoded upright for every orientation, in both TIFF byte orders; damaged EXIF changes nothing.
 */
public class ExifOrientationTest {

    private final ImageDecoder decoder = new ImageDecoder(4_000_000);

    @Test
    void eachOrientationTurnsThePictureUpright() throws Exception {
        byte[] plain = halves();
        // Where the red half lands once upright: the stored left side seen as the orientation says.
        String[] redAt = {null, "left", "right", "right", "left", "top", "top", "bottom", "bottom"};
        for (ByteOrder order : new ByteOrder[]{ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            for (int o = 1; o <= 8; o++) {
                byte[] jpeg = withExif(plain, order, o);
                assertEquals(o, ExifOrientation.of(jpeg), order + " orientation " + o);
                RgbImage image = decoder.decode(jpeg);
                boolean turned = o >= 5;
                assertEquals(turned ? 32 : 64, image.width(), "orientation " + o);
                assertEquals(turned ? 64 : 32, image.height(), "orientation " + o);
                assertEquals(redAt[o], redSide(image), order + " orientation " + o);
            }
        }
    }

    @Test
    void noOrDamagedExifLeavesThePixelsAsStored() throws Exception {
        byte[] plain = halves();
        assertEquals(1, ExifOrientation.of(plain));
        byte[] six = withExif(plain, ByteOrder.BIG_ENDIAN, 6);
        // The directory's offset far outside the segment; a huge entry count with no orientation; the file cut in the EXIF.
        byte[] farOffset = six.clone();
        farOffset[2 + 2 + 2 + 6 + 4] = 0x7f;
        byte[] manyEntries = six.clone();
        manyEntries[2 + 2 + 2 + 6 + 8] = (byte) 0xff;
        manyEntries[2 + 2 + 2 + 6 + 10] = 0;
        manyEntries[2 + 2 + 2 + 6 + 11] = 0;
        for (byte[] bad : new byte[][]{farOffset, manyEntries, Arrays.copyOf(six, 24), withExif(plain, ByteOrder.BIG_ENDIAN, 9)}) {
            assertEquals(1, ExifOrientation.of(bad));
        }
        assertEquals("left", redSide(decoder.decode(farOffset)));
        assertEquals(64, decoder.decode(withExif(plain, ByteOrder.BIG_ENDIAN, 9)).width());
    }

    @Test
    void pngsAreNotTurned() throws Exception {
        BufferedImage image = new BufferedImage(4, 2, BufferedImage.TYPE_INT_RGB);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        assertEquals(4, decoder.decode(out.toByteArray()).width());
    }

    /** Which side of the upright image is red, from the centres of its four edges' halves. */
    static String redSide(RgbImage image) {
        int w = image.width();
        int h = image.height();
        if (red(image, w / 4, h / 2) && !red(image, 3 * w / 4, h / 2)) {
            return "left";
        }
        if (red(image, 3 * w / 4, h / 2) && !red(image, w / 4, h / 2)) {
            return "right";
        }
        if (red(image, w / 2, h / 4) && !red(image, w / 2, 3 * h / 4)) {
            return "top";
        }
        assertTrue(red(image, w / 2, 3 * h / 4), "red somewhere");
        return "bottom";
    }

    static boolean red(RgbImage image, int x, int y) {
        return image.at(x, y, 0) > 200 && image.at(x, y, 2) < 60;
    }

    static byte[] halves() throws Exception {
        BufferedImage image = new BufferedImage(64, 32, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.RED);
        g.fillRect(0, 0, 32, 32);
        g.setColor(Color.BLUE);
        g.fillRect(32, 0, 32, 32);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "jpeg", out);
        return out.toByteArray();
    }

    /** The JPEG with an APP1 EXIF segment right after its start: one directory entry, the orientation. */
    public static byte[] withExif(byte[] jpeg, ByteOrder order, int orientation) {
        ByteBuffer tiff = ByteBuffer.allocate(8 + 2 + 12 + 4).order(order);
        tiff.put(order == ByteOrder.LITTLE_ENDIAN ? new byte[]{'I', 'I'} : new byte[]{'M', 'M'}).putShort((short) 42).putInt(8);
        tiff.putShort((short) 1);
        tiff.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0);
        tiff.putInt(0);
        byte[] exif = new byte[6 + tiff.capacity()];
        System.arraycopy(new byte[]{'E', 'x', 'i', 'f', 0, 0}, 0, exif, 0, 6);
        System.arraycopy(tiff.array(), 0, exif, 6, tiff.capacity());
        int length = exif.length + 2;
        byte[] out = new byte[jpeg.length + 2 + length];
        out[0] = (byte) 0xFF;
        out[1] = (byte) 0xD8;
        out[2] = (byte) 0xFF;
        out[3] = (byte) 0xE1;
        out[4] = (byte) (length >> 8);
        out[5] = (byte) length;
        System.arraycopy(exif, 0, out, 6, exif.length);
        System.arraycopy(jpeg, 2, out, 6 + exif.length, jpeg.length - 2);
        return out;
    }
}
