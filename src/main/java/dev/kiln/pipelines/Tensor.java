package dev.kiln.pipelines;

import dev.kiln.runtime.Datatype;
import dev.kiln.runtime.OutputTensor;
import dev.kiln.runtime.TensorBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * A tensor on its way between steps: numbers in a buffer in the platform's byte order (direct when
 * a model made it or will read it), or strings. {@code decoded} may carry the same values in the form
 * the built-in steps use (an image's pixels), so a step that made it and the step that reads it never
 * convert through bytes.
 */
record Tensor(Datatype type, long[] shape, ByteBuffer values, List<String> strings, Object decoded) {

    static Tensor of(TensorBuffer in) {
        return in.type() == Datatype.BYTES ? new Tensor(in.type(), in.shape(), null, in.strings(), null)
                : new Tensor(in.type(), in.shape(), in.values(), null, null);
    }

    static Tensor of(OutputTensor out) {
        return out.type() == Datatype.BYTES ? new Tensor(out.type(), out.shape(), null, out.strings(), null)
                : new Tensor(out.type(), out.shape(), out.nativeOrder(), null, null);
    }

    static Tensor numbers(Datatype type, long[] shape, ByteBuffer nativeOrder, Object decoded) {
        return new Tensor(type, shape, nativeOrder.order(ByteOrder.nativeOrder()), null, decoded);
    }

    static Tensor strings(long[] shape, List<String> strings) {
        return new Tensor(Datatype.BYTES, shape, null, strings, null);
    }

    /** The first dimension (1 for a scalar). */
    long rows() {
        return shape.length == 0 ? 1 : shape[0];
    }

    /** As a model's input named {@code input}: direct memory (copied only when it is not already). */
    TensorBuffer input(String input) {
        if (type == Datatype.BYTES) {
            return TensorBuffer.ofStrings(input, shape, strings.toArray(new String[0]));
        }
        ByteBuffer v = values.duplicate().order(ByteOrder.nativeOrder()).rewind();
        if (!v.isDirect()) {
            ByteBuffer copy = ByteBuffer.allocateDirect(v.remaining()).order(ByteOrder.nativeOrder());
            v = copy.put(v).flip();
        }
        return TensorBuffer.ofNative(input, type, shape, v);
    }

    /** As the pipeline's output named {@code output}. */
    OutputTensor output(String output) {
        return type == Datatype.BYTES ? OutputTensor.ofStrings(output, shape, strings.toArray(new String[0]))
                : OutputTensor.of(output, type, shape, values.duplicate().order(ByteOrder.nativeOrder()).rewind());
    }

    @Override
    public String toString() {
        return type + Arrays.toString(shape);
    }
}
