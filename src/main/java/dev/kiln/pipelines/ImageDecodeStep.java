package dev.kiln.pipelines;

import dev.kiln.ocr.ImageDecoder;
import dev.kiln.ocr.RgbImage;
import dev.kiln.runtime.Datatype;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code image.decode}: a PNG or JPEG file (its bytes as UINT8 [n]) to its pixels, UINT8 [height,
 * width, 3] RGB. The size is read from the header and checked against ai.models.ocr.max-pixels
 * before any pixel is decoded, and the memory the pixels take is held in inference's byte budget
 * until the request ends; a file that is not a whole image is a 400. No model is touched.
 */
final class ImageDecodeStep implements BuiltinStep {

    /** Bytes per pixel held while a request has its image: the RGB pixels and the decoder's image. */
    private static final long BYTES_PER_PIXEL = 7;

    private final ImageDecoder decoder;

    ImageDecodeStep(BuiltinSteps.Setup setup) {
        setup.options().noOthers();
        this.decoder = new ImageDecoder(setup.maxPixels());
    }

    @Override
    public Map<String, Port> inputs() {
        return Map.of("image", new Port("UINT8", new long[]{-1}));
    }

    @Override
    public Map<String, Port> outputs() {
        return Map.of("pixels", new Port("UINT8", new long[]{-1, -1, 3}));
    }

    @Override
    public CompletableFuture<Map<String, Tensor>> run(Map<String, Tensor> in, StepContext context) {
        ByteBuffer file = in.get("image").values().duplicate().rewind();
        byte[] bytes = new byte[file.remaining()];
        file.get(bytes);
        RgbImage image = decoder.decode(bytes, (w, h) -> context.reserve(BYTES_PER_PIXEL * w * h, "an image of " + w + "x" + h + " pixels"));
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("pixels", pixels(image));
        return CompletableFuture.completedFuture(out);
    }

    static Tensor pixels(RgbImage image) {
        return Tensor.numbers(Datatype.UINT8, new long[]{image.height(), image.width(), 3}, ByteBuffer.wrap(image.rgb()), image);
    }

    /** The pixels a step reads: as decoded when the decoder made them, else laid out again from the tensor. */
    static RgbImage image(Tensor pixels) {
        if (pixels.decoded() instanceof RgbImage image) {
            return image;
        }
        long[] s = pixels.shape();
        byte[] rgb = new byte[Math.toIntExact(s[0] * s[1] * 3)];
        pixels.values().duplicate().rewind().get(rgb);
        return new RgbImage((int) s[1], (int) s[0], rgb);
    }

    @Override
    public long rows(Map<String, Tensor> in, Map<String, Tensor> out) {
        return 1;
    }
}
