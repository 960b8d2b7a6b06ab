package dev.kiln.ocr;

import dev.kiln.errors.KilnError;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageDecoderTest {

    private final ImageDecoder decoder = new ImageDecoder(4_000_000);

    @Test
    void pngPixelsComeOutAsRgbBytes() throws Exception {
        BufferedImage image = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, 0xff0000);
        image.setRGB(1, 0, 0x00ff00);
        image.setRGB(0, 1, 0x0000ff);
        image.setRGB(1, 1, 0x102030);
        RgbImage rgb = decoder.decode(encode(image, "png"));
        assertEquals(2, rgb.width());
        assertEquals(2, rgb.height());
        assertArrayEquals(new byte[]{(byte) 255, 0, 0, 0, (byte) 255, 0, 0, 0, (byte) 255, 0x10, 0x20, 0x30}, rgb.rgb());
    }

    @Test
    void greyAndTransparentPngsBecomeRgbOnWhite() throws Exception {
        BufferedImage grey = new BufferedImage(1, 1, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSample(0, 0, 0, 77);
        assertArrayEquals(new byte[]{77, 77, 77}, decoder.decode(encode(grey, "png")).rgb());

        BufferedImage alpha = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        alpha.setRGB(0, 0, 0x00000000);
        alpha.setRGB(1, 0, 0x80000000);
        // Fully transparent is white; half-transparent black over white is (255 * 127 + 127) / 255 = 127.
        assertArrayEquals(new byte[]{(byte) 255, (byte) 255, (byte) 255, 127, 127, 127}, decoder.decode(encode(alpha, "png")).rgb());
    }

    @Test
    void jpegDecodesToNearlyTheSameColours() throws Exception {
        BufferedImage image = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                image.setRGB(x, y, 0x3c78b4);
            }
        }
        RgbImage rgb = decoder.decode(encode(image, "jpeg"));
        assertEquals(16, rgb.width());
        assertTrue(Math.abs(rgb.at(5, 5, 0) - 0x3c) <= 3 && Math.abs(rgb.at(5, 5, 1) - 0x78) <= 3 && Math.abs(rgb.at(5, 5, 2) - 0xb4) <= 3,
                rgb.at(5, 5, 0) + "," + rgb.at(5, 5, 1) + "," + rgb.at(5, 5, 2));
    }

    @Test
    void whatIsNotAPngOrJpegIsRefused() throws Exception {
        assertInvalid(new byte[0], "empty");
        assertInvalid("hello, this is text".getBytes(StandardCharsets.UTF_8), "not a PNG or JPEG");
        assertInvalid(encode(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "gif"), "not a PNG or JPEG");
    }

    @Test
    void truncatedImagesAreRefused() throws Exception {
        BufferedImage image = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < 64; i++) {
            image.setRGB(i, i, 0xffffff);
            image.setRGB(63 - i, i, 0x808080);
        }
        byte[] png = encode(image, "png");
        assertInvalid(Arrays.copyOf(png, png.length / 2), "truncated or corrupt");
        byte[] jpeg = encode(image, "jpeg");
        assertInvalid(Arrays.copyOf(jpeg, jpeg.length / 2), "truncated or corrupt");
    }

    @Test
    void sizeIsCheckedFromTheHeaderBeforeAnyPixelIsDecoded() {
        // A PNG that claims 20000 x 20000 pixels (1.2 GB of RGB) in a few dozen bytes: refused from its
        // header, quickly, without the memory a decode would take.
        byte[] bomb = pngHeaderOnly(20000, 20000);
        KilnError e = assertTimeoutPreemptively(java.time.Duration.ofSeconds(2),
                () -> assertThrows(KilnError.class, () -> decoder.decode(bomb)));
        assertEquals(KilnError.Kind.INVALID, e.kind());
        assertTrue(e.getMessage().contains("20000x20000") && e.getMessage().contains("4000000"), e.getMessage());
    }

    @Test
    void anImageWithoutPixelsIsRefused() {
        KilnError e = assertThrows(KilnError.class, () -> decoder.decode(pngHeaderOnly(0, 0)));
        assertEquals(KilnError.Kind.INVALID, e.kind());
    }

    @Test
    void damagedFilesDecodeOrAreRefusedNeverAnythingElse() throws Exception {
        BufferedImage image = new BufferedImage(48, 32, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < 48 * 32; i++) {
            image.setRGB(i % 48, i / 48, ((i * 2654435761L) >>> 7 & 1) == 0 ? 0x336699 : 0xeeeeee);
        }
        java.util.Random r = new java.util.Random(42);
        for (String format : new String[]{"png", "jpeg"}) {
            byte[] good = encode(image, format);
            for (int round = 0; round < 300; round++) {
                byte[] bad = r.nextInt(4) == 0 ? Arrays.copyOf(good, 8 + r.nextInt(good.length - 8)) : good.clone();
                for (int flips = 1 + r.nextInt(4); flips > 0 && bad.length == good.length; flips--) {
                    bad[8 + r.nextInt(bad.length - 8)] = (byte) r.nextInt(256);
                }
                try {
                    RgbImage rgb = decoder.decode(bad);
                    assertTrue(rgb.width() > 0 && rgb.height() > 0);
                } catch (KilnError e) {
                    assertEquals(KilnError.Kind.INVALID, e.kind(), format + " round " + round);
                }
            }
        }
    }

    private void assertInvalid(byte[] bytes, String message) {
        KilnError e = assertThrows(KilnError.class, () -> decoder.decode(bytes));
        assertEquals(KilnError.Kind.INVALID, e.kind());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    /** The PNG signature and an IHDR chunk (8-bit RGB) with a valid CRC, then an empty IDAT and IEND. */
    static byte[] pngHeaderOnly(int width, int height) {
        ByteBuffer b = ByteBuffer.allocate(8 + 25 + 12 + 12);
        b.put(new byte[]{(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a});
        chunk(b, "IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 2).put((byte) 0)
                .put((byte) 0).put((byte) 0).array());
        chunk(b, "IDAT", new byte[0]);
        chunk(b, "IEND", new byte[0]);
        return b.array();
    }

    private static void chunk(ByteBuffer b, String type, byte[] data) {
        b.putInt(data.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        b.put(t).put(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        b.putInt((int) crc.getValue());
    }

    static byte[] encode(BufferedImage image, String format) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(image, format, out), "no writer for " + format);
        return out.toByteArray();
    }
}
