package dev.kiln.runtime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.platform.Fp16Conversions;
import com.fasterxml.jackson.databind.JsonNode;

import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * V2 JSON tensors to ONNX Runtime tensors and back. Every check that a client can fail happens here,
 * before anything native is allocated, and its message names the input and what was wrong.
 */
public final class TensorCodec {

    private TensorCodec() {
    }

    /** Checks a request tensor against the model's declaration and builds the native tensor. */
    public static OnnxTensor decode(OrtEnvironment env, String name, String datatype, long[] shape,
                                    JsonNode data, TensorSpec expected) throws OrtException {
        Datatype type = Datatype.parse(datatype).orElseThrow(() -> new InvalidTensorException(
                "input '" + name + "': unknown datatype '" + datatype + "'"));
        if (!type.name().equals(expected.datatype())) {
            throw new InvalidTensorException("input '" + name + "': datatype " + datatype
                    + " does not match the model's " + expected.datatype());
        }
        if (!type.creatable()) {
            throw new InvalidTensorException("input '" + name + "': datatype " + datatype
                    + " cannot be created through ONNX Runtime's Java API");
        }
        checkShape(name, shape, expected.shape());
        long count = elementCount(name, shape);
        if (data == null || data.isNull()) {
            throw new InvalidTensorException("input '" + name + "': 'data' is missing");
        }
        long actual = countLeaves(data);
        if (actual != count) {
            throw new InvalidTensorException("input '" + name + "': shape " + Arrays.toString(shape) + " needs "
                    + count + " values but data has " + actual);
        }
        List<JsonNode> leaves = new ArrayList<>((int) count);
        flatten(data, leaves);
        return build(env, name, type, shape, leaves);
    }

    private static void checkShape(String name, long[] shape, long[] declared) {
        if (shape == null) {
            throw new InvalidTensorException("input '" + name + "': 'shape' is missing");
        }
        if (shape.length != declared.length) {
            throw new InvalidTensorException("input '" + name + "': shape " + Arrays.toString(shape)
                    + " has rank " + shape.length + " but the model expects rank " + declared.length
                    + " " + Arrays.toString(declared));
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new InvalidTensorException("input '" + name + "': shape " + Arrays.toString(shape)
                        + " has a negative dimension");
            }
            if (declared[i] >= 0 && declared[i] != shape[i]) {
                throw new InvalidTensorException("input '" + name + "': shape " + Arrays.toString(shape)
                        + " does not match the model's " + Arrays.toString(declared) + " at dimension " + i);
            }
        }
    }

    private static long elementCount(String name, long[] shape) {
        long count = 1;
        for (long d : shape) {
            count = Math.multiplyExact(count, d);
            if (count > Integer.MAX_VALUE) {
                throw new InvalidTensorException("input '" + name + "': shape " + Arrays.toString(shape) + " is too large");
            }
        }
        return count;
    }

    private static long countLeaves(JsonNode node) {
        if (!node.isArray()) {
            return 1;
        }
        long n = 0;
        for (JsonNode child : node) {
            n += countLeaves(child);
        }
        return n;
    }

    private static void flatten(JsonNode node, List<JsonNode> out) {
        if (node.isArray()) {
            node.forEach(child -> flatten(child, out));
        } else {
            out.add(node);
        }
    }

    private static OnnxTensor build(OrtEnvironment env, String name, Datatype type, long[] shape,
                                    List<JsonNode> v) throws OrtException {
        int n = v.size();
        switch (type) {
            case FP32 -> {
                FloatBuffer b = direct(n * 4L).asFloatBuffer();
                for (int i = 0; i < n; i++) {
                    b.put(i, (float) number(name, type, v.get(i)));
                }
                return OnnxTensor.createTensor(env, b, shape);
            }
            case FP64 -> {
                DoubleBuffer b = direct(n * 8L).asDoubleBuffer();
                for (int i = 0; i < n; i++) {
                    b.put(i, number(name, type, v.get(i)));
                }
                return OnnxTensor.createTensor(env, b, shape);
            }
            case FP16 -> {
                ShortBuffer b = direct(n * 2L).asShortBuffer();
                for (int i = 0; i < n; i++) {
                    b.put(i, Fp16Conversions.floatToFp16((float) number(name, type, v.get(i))));
                }
                return OnnxTensor.createTensor(env, b, shape, OnnxJavaType.FLOAT16);
            }
            case INT64 -> {
                LongBuffer b = direct(n * 8L).asLongBuffer();
                for (int i = 0; i < n; i++) {
                    b.put(i, integer(name, type, v.get(i), Long.MIN_VALUE, Long.MAX_VALUE));
                }
                return OnnxTensor.createTensor(env, b, shape);
            }
            case INT32 -> {
                IntBuffer b = direct(n * 4L).asIntBuffer();
                for (int i = 0; i < n; i++) {
                    b.put(i, (int) integer(name, type, v.get(i), Integer.MIN_VALUE, Integer.MAX_VALUE));
                }
                return OnnxTensor.createTensor(env, b, shape);
            }
            case INT16 -> {
                ShortBuffer b = direct(n * 2L).asShortBuffer();
                for (int i = 0; i < n; i++) {
                    b.put(i, (short) integer(name, type, v.get(i), Short.MIN_VALUE, Short.MAX_VALUE));
                }
                return OnnxTensor.createTensor(env, b, shape);
            }
            case INT8, UINT8 -> {
                long min = type == Datatype.INT8 ? Byte.MIN_VALUE : 0;
                long max = type == Datatype.INT8 ? Byte.MAX_VALUE : 255;
                ByteBuffer b = direct(n);
                for (int i = 0; i < n; i++) {
                    b.put(i, (byte) integer(name, type, v.get(i), min, max));
                }
                return OnnxTensor.createTensor(env, b, shape, type == Datatype.INT8 ? OnnxJavaType.INT8 : OnnxJavaType.UINT8);
            }
            case BOOL -> {
                ByteBuffer b = direct(n);
                for (int i = 0; i < n; i++) {
                    JsonNode x = v.get(i);
                    if (!x.isBoolean()) {
                        throw invalidValue(name, type, i, x, "true or false");
                    }
                    b.put(i, (byte) (x.booleanValue() ? 1 : 0));
                }
                return OnnxTensor.createTensor(env, b, shape, OnnxJavaType.BOOL);
            }
            case BYTES -> {
                String[] s = new String[n];
                for (int i = 0; i < n; i++) {
                    JsonNode x = v.get(i);
                    if (!x.isTextual()) {
                        throw invalidValue(name, type, i, x, "a string");
                    }
                    s[i] = x.textValue();
                }
                return OnnxTensor.createTensor(env, s, shape);
            }
            default -> throw new InvalidTensorException("input '" + name + "': datatype " + type + " is not supported");
        }
    }

    private static ByteBuffer direct(long bytes) {
        return ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
    }

    private static double number(String name, Datatype type, JsonNode x) {
        if (!x.isNumber()) {
            throw invalidValue(name, type, -1, x, "a number");
        }
        return x.doubleValue();
    }

    private static long integer(String name, Datatype type, JsonNode x, long min, long max) {
        if (!x.isIntegralNumber() || !x.canConvertToLong()) {
            throw invalidValue(name, type, -1, x, "an integer");
        }
        long value = x.longValue();
        if (value < min || value > max) {
            throw new InvalidTensorException("input '" + name + "': value " + value + " is out of range for "
                    + type + " [" + min + ", " + max + "]");
        }
        return value;
    }

    private static InvalidTensorException invalidValue(String name, Datatype type, int index, JsonNode x, String want) {
        String shown = x.toString();
        if (shown.length() > 40) {
            shown = shown.substring(0, 40) + "...";
        }
        return new InvalidTensorException("input '" + name + "': " + type + " data must be " + want + ", got " + shown
                + (index >= 0 ? " at position " + index : ""));
    }

    /** Reads an output tensor into a flat Java array in V2 form. */
    public static EncodedTensor encode(String name, OnnxValue value) throws OrtException {
        if (!(value instanceof OnnxTensor tensor)) {
            throw new OrtException("output '" + name + "' is a " + value.getType() + ", which V2 JSON cannot carry");
        }
        TensorInfo info = tensor.getInfo();
        Datatype type = Datatype.of(info.onnxType).orElseThrow(() ->
                new OrtException("output '" + name + "' has unsupported type " + info.onnxType));
        long[] shape = info.getShape();
        return new EncodedTensor(name, type.name(), shape, data(tensor, type));
    }

    private static Object data(OnnxTensor t, Datatype type) throws OrtException {
        switch (type) {
            case FP32 -> {
                return toArray(t.getFloatBuffer());
            }
            case FP64 -> {
                DoubleBuffer b = t.getDoubleBuffer();
                double[] a = new double[b.remaining()];
                b.get(a);
                return a;
            }
            case FP16 -> {
                ShortBuffer b = t.getShortBuffer();
                float[] a = new float[b.remaining()];
                for (int i = 0; i < a.length; i++) {
                    a[i] = Fp16Conversions.fp16ToFloat(b.get(i));
                }
                return a;
            }
            case BF16 -> {
                ShortBuffer b = t.getShortBuffer();
                float[] a = new float[b.remaining()];
                for (int i = 0; i < a.length; i++) {
                    a[i] = Fp16Conversions.bf16ToFloat(b.get(i));
                }
                return a;
            }
            case INT64, UINT64 -> {
                LongBuffer b = t.getLongBuffer();
                long[] a = new long[b.remaining()];
                b.get(a);
                return a;
            }
            case INT32 -> {
                IntBuffer b = t.getIntBuffer();
                int[] a = new int[b.remaining()];
                b.get(a);
                return a;
            }
            case UINT32 -> {
                IntBuffer b = t.getIntBuffer();
                long[] a = new long[b.remaining()];
                for (int i = 0; i < a.length; i++) {
                    a[i] = Integer.toUnsignedLong(b.get(i));
                }
                return a;
            }
            case INT16, UINT16 -> {
                ShortBuffer b = t.getShortBuffer();
                int[] a = new int[b.remaining()];
                for (int i = 0; i < a.length; i++) {
                    a[i] = type == Datatype.INT16 ? b.get(i) : Short.toUnsignedInt(b.get(i));
                }
                return a;
            }
            case INT8, UINT8 -> {
                ByteBuffer b = t.getByteBuffer();
                int[] a = new int[b.remaining()];
                for (int i = 0; i < a.length; i++) {
                    a[i] = type == Datatype.INT8 ? b.get(i) : Byte.toUnsignedInt(b.get(i));
                }
                return a;
            }
            case BOOL -> {
                ByteBuffer b = t.getByteBuffer();
                boolean[] a = new boolean[b.remaining()];
                for (int i = 0; i < a.length; i++) {
                    a[i] = b.get(i) != 0;
                }
                return a;
            }
            case BYTES -> {
                List<String> out = new ArrayList<>();
                flattenStrings(t.getValue(), out);
                return out.toArray(new String[0]);
            }
            default -> throw new OrtException("unsupported output type " + type);
        }
    }

    private static float[] toArray(FloatBuffer b) {
        float[] a = new float[b.remaining()];
        b.get(a);
        return a;
    }

    private static void flattenStrings(Object value, List<String> out) {
        if (value instanceof String s) {
            out.add(s);
        } else if (value != null && value.getClass().isArray()) {
            for (int i = 0; i < Array.getLength(value); i++) {
                flattenStrings(Array.get(value, i), out);
            }
        }
    }
}
