package dev.kiln.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every FP32 and FP64 value Kiln prints reads back to the identical bits: random bit patterns,
 * subnormals, both zeros, the extremes. NaN and the infinities are written as the strings "NaN",
 * "Infinity" and "-Infinity" (JSON has no numbers for them) and read back as themselves; a NaN's
 * payload bits are not kept.
 */
class FloatCodecTest {

    static final JsonFactory FAST = JsonFactory.builder().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
            .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER).build();
    static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    @Test
    void everyFloatPrintedReadsBackToTheSameBits() throws Exception {
        float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
                1f, -1f, 0.1f, 1e-45f, 3.4028235e38f, 1.17549421e-38f, 1e23f, 2e-44f, Float.NaN, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY};
        Random random = new Random(42);
        float[] values = new float[200_000];
        System.arraycopy(special, 0, values, 0, special.length);
        for (int i = special.length; i < values.length; i++) {
            values[i] = i % 4 == 0 ? Float.intBitsToFloat(random.nextInt() & 0x807fffff)      // subnormals
                    : Float.intBitsToFloat(random.nextInt());
        }
        byte[] json = print(OutputTensor.of("y", OnnxTensor.createTensor(ENV, FloatBuffer.wrap(values), new long[]{values.length})),
                values.length);
        String text = new String(json, StandardCharsets.US_ASCII);
        assertTrue(text.contains("\"NaN\"") && text.contains("\"Infinity\"") && text.contains("\"-Infinity\""), "non-finite as strings");
        FloatBuffer back = read(json, Datatype.FP32, values.length).getFloatBuffer();
        for (int i = 0; i < values.length; i++) {
            float b = back.get(i);
            if (Float.isNaN(values[i])) {
                assertTrue(Float.isNaN(b), "NaN at " + i);
            } else {
                assertEquals(Float.floatToRawIntBits(values[i]), Float.floatToRawIntBits(b), "bits of " + values[i] + " at " + i);
            }
        }
    }

    @Test
    void everyDoublePrintedReadsBackToTheSameBits() throws Exception {
        double[] special = {0d, -0d, Double.MIN_VALUE, Double.MIN_NORMAL, Double.MAX_VALUE, -Double.MAX_VALUE, 0.1, 1e23,
                4.9e-324, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        Random random = new Random(7);
        double[] values = new double[100_000];
        System.arraycopy(special, 0, values, 0, special.length);
        for (int i = special.length; i < values.length; i++) {
            values[i] = i % 4 == 0 ? Double.longBitsToDouble(random.nextLong() & 0x800fffffffffffffL) : Double.longBitsToDouble(random.nextLong());
        }
        byte[] json = print(OutputTensor.of("y", OnnxTensor.createTensor(ENV, DoubleBuffer.wrap(values), new long[]{values.length})),
                values.length);
        DoubleBuffer back = read(json, Datatype.FP64, values.length).getDoubleBuffer();
        for (int i = 0; i < values.length; i++) {
            if (Double.isNaN(values[i])) {
                assertTrue(Double.isNaN(back.get(i)));
            } else {
                assertEquals(Double.doubleToRawLongBits(values[i]), Double.doubleToRawLongBits(back.get(i)), "bits at " + i);
            }
        }
    }

    @Test
    void floatsArePrintedShortestNotAsFloatToStringWouldPrintThem() throws Exception {
        float v = 2.0E-44f;      // Float.toString gives "1.9618E-44" on JDK 17; the shortest round-trip text is "2.0E-44"
        byte[] json = print(OutputTensor.of("y", OnnxTensor.createTensor(ENV, FloatBuffer.wrap(new float[]{v}), new long[]{1})), 1);
        assertEquals("[2.0E-44]", new String(json, StandardCharsets.US_ASCII));
    }

    static byte[] print(OutputTensor t, long rows) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = FAST.createGenerator(out)) {
            t.rows(0, rows).writeJson(g);
        }
        return out.toByteArray();
    }

    static OnnxTensor read(byte[] json, Datatype type, int n) throws Exception {
        try (JsonParser p = FAST.createParser(json)) {
            p.nextToken();
            return JsonTensorReader.read(p, "y", type, new long[]{n}).toOnnx(ENV);
        }
    }
}
