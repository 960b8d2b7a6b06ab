package dev.kiln.ocr;

import dev.kiln.errors.KilnError;

import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Locale;

/**
 * PNG and JPEG bytes to {@link RgbImage}, refusing what is not one before it costs memory: the size is
 * read from the header first, so a 20000x20000 image or a decompression bomb (a small file that
 * claims a huge image) is refused without allocating its pixels. Transparent pixels are laid over
 * white, as a page is; a JPEG is turned upright as its EXIF orientation says. Every refusal is a
 * {@link KilnError} of kind INVALID (the caller's fault).
 */
public final class ImageDecoder {

    private final long maxPixels;

    /** {@code maxPixels}: the largest width × height accepted. */
    public ImageDecoder(long maxPixels) {
        this.maxPixels = maxPixels;
    }

    /**
     * Told an image's size once its header is read and within the limit, before a pixel is decoded:
     * it may refuse (throw), or reserve the memory the pixels will take.
     */
    public interface Admission {
        void admit(int width, int height);
    }

    public RgbImage decode(byte[] bytes) {
        return decode(bytes, (width, height) -> {
        });
    }

    public RgbImage decode(byte[] bytes, Admission admission) {
        if (bytes == null || bytes.length == 0) {
            throw KilnError.invalid("the image is empty");
        }
        // In memory: ImageIO.createImageInputStream would cache the stream in a temporary file.
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            ImageReader reader = pngOrJpegReader(in);
            try {
                reader.setInput(in, true, true);
                checkSize(reader.getWidth(0), reader.getHeight(0));
                admission.admit(reader.getWidth(0), reader.getHeight(0));
                Truncation truncation = new Truncation();
                reader.addIIOReadWarningListener(truncation);
                BufferedImage image = reader.read(0);
                if (truncation.seen) {
                    throw KilnError.invalid("the image is truncated or corrupt: " + truncation.message);
                }
                return ExifOrientation.upright(toRgb(image), isJpeg(reader) ? ExifOrientation.of(bytes) : 1);
            } finally {
                reader.dispose();
            }
        } catch (KilnError e) {
            throw e;
        } catch (IIOException | RuntimeException e) {
            // The JDK's readers fail on damaged files in many ways (index errors, illegal states...).
            throw KilnError.invalid("the image cannot be decoded (truncated or corrupt)");
        } catch (IOException e) {
            throw KilnError.invalid("the image cannot be read");
        }
    }

    private static ImageReader pngOrJpegReader(ImageInputStream in) {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        while (readers.hasNext()) {
            ImageReader r = readers.next();
            String format;
            try {
                format = r.getFormatName().toLowerCase(Locale.ROOT);
            } catch (IOException e) {
                format = "";
            }
            if (format.equals("png") || format.equals("jpeg") || format.equals("jpg")) {
                return r;
            }
            r.dispose();
        }
        throw KilnError.invalid("not a PNG or JPEG image");
    }

    private static boolean isJpeg(ImageReader reader) throws IOException {
        return reader.getFormatName().toLowerCase(Locale.ROOT).startsWith("jp");
    }

    private void checkSize(int width, int height) {
        if (width <= 0 || height <= 0) {
            throw KilnError.invalid("the image is " + width + "x" + height + " pixels: it has no pixels");
        }
        if ((long) width * height > maxPixels) {
            throw KilnError.invalid("the image is " + width + "x" + height + " pixels, more than the limit of " + maxPixels + " pixels");
        }
    }

    /** The decoded pixels as RGB bytes, straight from the raster for the usual layouts. */
    static RgbImage toRgb(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] out = new byte[w * h * 3];
        switch (image.getType()) {
            case BufferedImage.TYPE_3BYTE_BGR -> {
                byte[] src = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
                for (int i = 0; i < out.length; i += 3) {
                    out[i] = src[i + 2];
                    out[i + 1] = src[i + 1];
                    out[i + 2] = src[i];
                }
            }
            case BufferedImage.TYPE_BYTE_GRAY -> {
                byte[] src = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
                for (int i = 0, o = 0; i < src.length; i++, o += 3) {
                    out[o] = src[i];
                    out[o + 1] = src[i];
                    out[o + 2] = src[i];
                }
            }
            case BufferedImage.TYPE_4BYTE_ABGR -> {
                byte[] src = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
                for (int i = 0, o = 0; o < out.length; i += 4, o += 3) {
                    int a = src[i] & 0xff;
                    out[o] = overWhite(src[i + 3] & 0xff, a);
                    out[o + 1] = overWhite(src[i + 2] & 0xff, a);
                    out[o + 2] = overWhite(src[i + 1] & 0xff, a);
                }
            }
            default -> {
                // Palettes, 16-bit samples and the rest: Java2D converts them, one row at a time.
                int[] row = new int[w];
                for (int y = 0, o = 0; y < h; y++) {
                    image.getRGB(0, y, w, 1, row, 0, w);
                    for (int x = 0; x < w; x++, o += 3) {
                        int p = row[x];
                        int a = p >>> 24;
                        out[o] = overWhite((p >> 16) & 0xff, a);
                        out[o + 1] = overWhite((p >> 8) & 0xff, a);
                        out[o + 2] = overWhite(p & 0xff, a);
                    }
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    private static byte overWhite(int value, int alpha) {
        return (byte) ((value * alpha + 255 * (255 - alpha) + 127) / 255);
    }

    /** The JPEG reader reports a file that ends early as a warning and fills the rest with grey. */
    private static final class Truncation implements IIOReadWarningListener {
        boolean seen;
        String message;

        @Override
        public void warningOccurred(ImageReader source, String warning) {
            seen = true;
            message = warning;
        }
    }
}
