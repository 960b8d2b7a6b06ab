package dev.kiln.runtime;

import dev.kiln.errors.ClientText;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.platform.Fp16Conversions;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * One input tensor, decoded: its values in a direct buffer in the platform's byte order (what ONNX
 * Runtime reads without another copy), or strings for BYTES. Requests merged by the batcher are
 * concatenated along the first dimension.
 */
public final class TensorBuffer {

    private final String name;
    private final Datatype type;
    private final long[] shape;
    private final ByteBuffer data;
    private final String[] strings;

    private TensorBuffer(String name, Datatype type, long[] shape, ByteBuffer data, String[] strings) {
        this.name = name;
        this.type = type;
        this.shape = shape;
        this.data = data;
        this.strings = strings;
    }

    static TensorBuffer numeric(String name, Datatype type, long[] shape, ByteBuffer data) {
        return new TensorBuffer(name, type, shape, data.rewind(), null);
    }

    static TensorBuffer strings(String name, long[] shape, String[] values) {
        return new TensorBuffer(name, Datatype.BYTES, shape, null, values);
    }

    /** A tensor over values already laid out in a direct buffer in native order (position to limit, exactly its elements). */
    public static TensorBuffer ofNative(String name, Datatype type, long[] shape, ByteBuffer values) {
        long count = TensorShapes.elements(name, shape);
        if (type == Datatype.BYTES || !values.isDirect() || values.remaining() != count * type.bytesPerElement()) {
            throw new IllegalArgumentException("input '" + name + "': " + values.remaining() + " bytes (direct: "
                    + values.isDirect() + ") for " + ClientText.shape(shape) + " of " + type);
        }
        return numeric(name, type, shape.clone(), values.slice().order(ByteOrder.nativeOrder()));
    }

    /** A BYTES tensor. */
    public static TensorBuffer ofStrings(String name, long[] shape, String[] values) {
        if (TensorShapes.elements(name, shape) != values.length) {
            throw new IllegalArgumentException("input '" + name + "': " + values.length + " strings for " + ClientText.shape(shape));
        }
        return strings(name, shape.clone(), values);
    }

    /**
     * A tensor whose values are computed, for synthetic inputs (warm-up): {@code value} gives the
     * number at each flat index, or the text for BYTES.
     */
    public static TensorBuffer fill(String name, Datatype type, long[] shape, java.util.function.LongFunction<Object> value) {
        long count = TensorShapes.elements(name, shape);
        if (type == Datatype.BYTES) {
            String[] s = new String[(int) count];
            for (int i = 0; i < count; i++) {
                s[i] = String.valueOf(value.apply(i));
            }
            return strings(name, shape, s);
        }
        ByteBuffer b = allocate(type, count);
        for (long i = 0; i < count; i++) {
            Object v = value.apply(i);
            double d = v instanceof Boolean bool ? (bool ? 1 : 0) : ((Number) v).doubleValue();
            switch (type) {
                case FP32 -> b.putFloat((float) d);
                case FP64 -> b.putDouble(d);
                case FP16 -> b.putShort(Fp16Conversions.floatToFp16((float) d));
                case INT64 -> b.putLong((long) d);
                case INT32 -> b.putInt((int) d);
                case INT16 -> b.putShort((short) d);
                default -> b.put((byte) d);
            }
        }
        return numeric(name, type, shape, b);
    }

    /** A direct buffer in native order, for {@code elements} values of this datatype. */
    public static ByteBuffer allocate(Datatype type, long elements) {
        return ByteBuffer.allocateDirect(Math.toIntExact(elements * type.bytesPerElement())).order(ByteOrder.nativeOrder());
    }

    public String name() {
        return name;
    }

    public Datatype type() {
        return type;
    }

    public long[] shape() {
        return shape.clone();
    }

    /** The values in native order, read-only and without a copy (numeric tensors only): what a pipeline's steps read. */
    public ByteBuffer values() {
        if (type == Datatype.BYTES) {
            throw new IllegalStateException("input '" + name + "' is BYTES: read strings()");
        }
        return data.asReadOnlyBuffer().order(ByteOrder.nativeOrder()).rewind();
    }

    /** The elements of a BYTES tensor. */
    public List<String> strings() {
        if (type != Datatype.BYTES) {
            throw new IllegalStateException("input '" + name + "' is " + type + ": read values()");
        }
        return List.of(strings);
    }

    /** The first dimension: how many rows a batch takes from this request (1 for a scalar). */
    public long rows() {
        return shape.length == 0 ? 1 : shape[0];
    }

    /** Shapes equal but for the first dimension: the condition for putting two requests in one batch. */
    public boolean stacksWith(TensorBuffer other) {
        return name.equals(other.name) && type == other.type && shape.length == other.shape.length && shape.length > 0
                && Arrays.equals(shape, 1, shape.length, other.shape, 1, other.shape.length);
    }

    /** The values in the V2 binary tensor form: little-endian, row-major; BYTES each a 4-byte length, then its UTF-8 bytes. */
    public byte[] binary() {
        if (type == Datatype.BYTES) {
            byte[][] each = Arrays.stream(strings).map(s -> s.getBytes(java.nio.charset.StandardCharsets.UTF_8)).toArray(byte[][]::new);
            ByteBuffer out = ByteBuffer.allocate(Arrays.stream(each).mapToInt(b -> 4 + b.length).sum()).order(ByteOrder.LITTLE_ENDIAN);
            for (byte[] b : each) {
                out.putInt(b.length).put(b);
            }
            return out.array();
        }
        ByteBuffer in = data.duplicate().order(ByteOrder.nativeOrder()).rewind();
        ByteBuffer out = ByteBuffer.allocate(in.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN || type.bytesPerElement() == 1) {
            return out.put(in).array();
        }
        while (in.hasRemaining()) {
            switch (type.bytesPerElement()) {
                case 2 -> out.putShort(in.getShort());
                case 4 -> out.putInt(in.getInt());
                default -> out.putLong(in.getLong());
            }
        }
        return out.array();
    }

    public OnnxTensor toOnnx(OrtEnvironment env) throws OrtException {
        if (type == Datatype.BYTES) {
            return OnnxTensor.createTensor(env, strings, shape);
        }
        ByteBuffer b = data.duplicate().order(ByteOrder.nativeOrder()).rewind();
        return switch (type) {
            case FP32 -> OnnxTensor.createTensor(env, b.asFloatBuffer(), shape);
            case FP64 -> OnnxTensor.createTensor(env, b.asDoubleBuffer(), shape);
            case INT64 -> OnnxTensor.createTensor(env, b.asLongBuffer(), shape);
            case INT32 -> OnnxTensor.createTensor(env, b.asIntBuffer(), shape);
            case INT16 -> OnnxTensor.createTensor(env, b.asShortBuffer(), shape);
            case FP16 -> OnnxTensor.createTensor(env, b.asShortBuffer(), shape, OnnxJavaType.FLOAT16);
            case INT8 -> OnnxTensor.createTensor(env, b, shape, OnnxJavaType.INT8);
            case UINT8 -> OnnxTensor.createTensor(env, b, shape, OnnxJavaType.UINT8);
            case BOOL -> OnnxTensor.createTensor(env, b, shape, OnnxJavaType.BOOL);
            default -> throw new InvalidTensorException("input '" + name + "': datatype " + type
                    + " cannot be created through ONNX Runtime's Java API");
        };
    }

    /** These tensors one after the other along the first dimension (all must {@link #stacksWith} the first). */
    public static TensorBuffer concat(List<TensorBuffer> parts) {
        TensorBuffer first = parts.get(0);
        if (parts.size() == 1) {
            return first;
        }
        long[] shape = first.shape.clone();
        shape[0] = parts.stream().mapToLong(TensorBuffer::rows).sum();
        if (first.type == Datatype.BYTES) {
            return strings(first.name, shape, parts.stream().flatMap(p -> Arrays.stream(p.strings)).toArray(String[]::new));
        }
        ByteBuffer joined = ByteBuffer.allocateDirect(parts.stream().mapToInt(p -> p.data.capacity()).sum())
                .order(ByteOrder.nativeOrder());
        for (TensorBuffer p : parts) {
            joined.put(p.data.duplicate().rewind());
        }
        return numeric(first.name, first.type, shape, joined);
    }
}
