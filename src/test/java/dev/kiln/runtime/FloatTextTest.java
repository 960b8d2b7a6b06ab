package dev.kiln.runtime;

import ai.onnxruntime.platform.Fp16Conversions;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.io.schubfach.FloatToDecimal;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * FloatText prints exactly what Jackson's fast float writer printed (the text of every JSON answer
 * before it): every subnormal, every float around each power of two and of ten, millions of random
 * bit patterns of both signs. An exhaustive run over all 2^32 patterns is in the README (0 differences).
 * And a tensor's JSON is byte for byte what writing each float through the generator gave, across
 * chunk boundaries, non-finite values, FP16 and BF16.
 */
class FloatTextTest {

    private static final JsonFactory JACKSON = JsonFactory.builder().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();

    @Test
    void everySubnormalIsPrintedAsBefore() {
        byte[] buf = new byte[FloatText.MAX_CHARS];
        for (int bits = 0; bits < 0x0080_0000; bits++) {
            same(Float.intBitsToFloat(bits), buf);
        }
    }

    @Test
    void floatsAroundEveryPowerOfTwoAndTenArePrintedAsBefore() {
        byte[] buf = new byte[FloatText.MAX_CHARS];
        for (int exponent = 1; exponent < 255; exponent++) {
            int bits = exponent << 23;
            for (int d = -300; d <= 300; d++) {
                same(Float.intBitsToFloat(bits + d), buf);
            }
        }
        for (int p = -45; p <= 38; p++) {
            int bits = Float.floatToRawIntBits(Float.parseFloat("1e" + p));
            for (int d = -300; d <= 300; d++) {
                same(Float.intBitsToFloat(bits + d), buf);
            }
        }
        for (int i = 0; i <= 1 << 25; i += 7) {
            same(i, buf);
        }
    }

    @Test
    void randomFloatsOfBothSignsArePrintedAsBefore() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        byte[] buf = new byte[FloatText.MAX_CHARS];
        for (int i = 0; i < 4_000_000; i++) {
            float f = Float.intBitsToFloat(random.nextInt());
            if (Float.isFinite(f)) {
                assertEquals(FloatToDecimal.toString(f), new String(buf, 0, FloatText.write(f, buf, 0), java.nio.charset.StandardCharsets.US_ASCII),
                        "bits " + Integer.toHexString(Float.floatToRawIntBits(f)) + " (seed " + seed + ")");
            }
            float g = (float) (random.nextGaussian() * 0.5);    // what embeddings and activations look like
            same(g, buf);
        }
    }

    @Test
    void aTensorsJsonIsByteForByteWhatTheGeneratorWrote() throws Exception {
        Random random = new Random(3);
        float[] values = new float[5_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = i % 97 == 0 ? Float.NaN : i % 89 == 0 ? Float.NEGATIVE_INFINITY : i % 83 == 0 ? Float.POSITIVE_INFINITY
                    : i % 79 == 0 ? -0f : i % 2 == 0 ? (float) random.nextGaussian() : Float.intBitsToFloat(random.nextInt());
        }
        ByteBuffer fp32 = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.nativeOrder());
        fp32.asFloatBuffer().put(values);
        assertEquals(before(values), now(OutputTensor.of("y", Datatype.FP32, new long[]{values.length}, fp32)));
        for (int n : new int[]{0, 1, 2, 272, 273, 274, 1000}) {         // around the first chunk's end
            float[] head = java.util.Arrays.copyOf(values, n);
            ByteBuffer b = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
            b.asFloatBuffer().put(head);
            assertEquals(before(head), now(OutputTensor.of("y", Datatype.FP32, new long[]{n}, b)), n + " floats");
        }
    }

    @Test
    void everyHalfAndBfloatIsPrintedAsBefore() throws Exception {
        ByteBuffer halves = ByteBuffer.allocateDirect(65_536 * 2).order(ByteOrder.nativeOrder());
        float[] fp16 = new float[65_536];
        float[] bf16 = new float[65_536];
        for (int i = 0; i < 65_536; i++) {
            halves.putShort((short) i);
            fp16[i] = Fp16Conversions.fp16ToFloat((short) i);
            bf16[i] = Fp16Conversions.bf16ToFloat((short) i);
        }
        halves.flip();
        assertEquals(before(fp16), now(OutputTensor.of("h", Datatype.FP16, new long[]{65_536}, halves)));
        assertEquals(before(bf16), now(OutputTensor.of("b", Datatype.BF16, new long[]{65_536}, halves)));
    }

    /** Finite floats only: NaN and the infinities never reach FloatText (they are written as strings). */
    private static void same(float f, byte[] buf) {
        if (!Float.isFinite(f)) {
            return;
        }
        assertEquals(FloatToDecimal.toString(f), new String(buf, 0, FloatText.write(f, buf, 0), java.nio.charset.StandardCharsets.US_ASCII),
                "bits " + Integer.toHexString(Float.floatToRawIntBits(f)));
    }

    /** The array as the generator wrote it float by float, the way OutputTensor did before FloatText. */
    private static String before(float[] values) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JACKSON.createGenerator(out)) {
            g.writeStartArray();
            for (float f : values) {
                if (Float.isFinite(f)) {
                    g.writeNumber(f);
                } else {
                    g.writeString(Float.isNaN(f) ? "NaN" : f > 0 ? "Infinity" : "-Infinity");
                }
            }
            g.writeEndArray();
        }
        return out.toString(java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static String now(OutputTensor t) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JACKSON.createGenerator(out)) {
            t.writeJson(g);
        }
        return out.toString(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
