package dev.kiln.ocr;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * A float tensor as the OCR steps build and read it: row-major values and their shape. The steps
 * write their model inputs straight into direct memory in the platform's order ({@link #allocate}),
 * which is what ONNX Runtime reads without a copy, and read model outputs where the runtime left
 * them ({@link #over}); tests build small ones from arrays.
 */
public final class FloatTensor {

    private final long[] shape;
    private final FloatBuffer values;
    /** The bytes under {@link #values} when they are direct memory in native order; null for an array. */
    private final ByteBuffer bytes;

    private FloatTensor(long[] shape, FloatBuffer values, ByteBuffer bytes) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != values.capacity()) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values, got " + values.capacity());
        }
        this.shape = shape.clone();
        this.values = values;
        this.bytes = bytes;
    }

    /** Over an array (no copy). */
    public FloatTensor(long[] shape, float[] data) {
        this(shape, FloatBuffer.wrap(data), null);
    }

    /** Zeros in direct memory, in the platform's byte order: for a model's input. */
    public static FloatTensor allocate(long... shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        ByteBuffer b = ByteBuffer.allocateDirect(Math.toIntExact(n * Float.BYTES)).order(ByteOrder.nativeOrder());
        return new FloatTensor(shape, b.asFloatBuffer(), b);
    }

    /** Over values another runtime laid out in native order (a model's output), without a copy. */
    public static FloatTensor over(long[] shape, ByteBuffer nativeOrder) {
        ByteBuffer b = nativeOrder.slice().order(ByteOrder.nativeOrder());
        return new FloatTensor(shape, b.asFloatBuffer(), b.isDirect() ? b : null);
    }

    public long[] shape() {
        return shape.clone();
    }

    public int dim(int i) {
        return (int) shape[i];
    }

    public int size() {
        return values.capacity();
    }

    public float get(int i) {
        return values.get(i);
    }

    public void put(int i, float v) {
        values.put(i, v);
    }

    /** The values, read from position 0 (a view: no copy). */
    public FloatBuffer values() {
        return values.duplicate().clear();
    }

    /**
     * The values as direct memory in native order, as ONNX Runtime takes them: the tensor's own
     * bytes when it has them, else a copy.
     */
    public ByteBuffer nativeBytes() {
        if (bytes != null) {
            return bytes.duplicate().clear().order(ByteOrder.nativeOrder());
        }
        ByteBuffer copy = ByteBuffer.allocateDirect(values.capacity() * Float.BYTES).order(ByteOrder.nativeOrder());
        copy.asFloatBuffer().put(values());
        return copy;
    }

    /** A copy of the values, for tests and small reads. */
    public float[] data() {
        float[] out = new float[values.capacity()];
        values().get(out);
        return out;
    }

    @Override
    public String toString() {
        return "FloatTensor" + Arrays.toString(shape);
    }
}
