package dev.kiln.runtime;

import dev.kiln.errors.ClientText;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads one input of the V2 binary tensor data extension: the raw bytes of its elements,
 * little-endian and row-major; BYTES elements each a 4-byte little-endian length, then the bytes.
 */
public final class BinaryTensorReader {

    private BinaryTensorReader() {
    }

    public static TensorBuffer read(String name, Datatype type, long[] shape, byte[] body, int offset, int length) {
        return read(name, type, shape, ByteBuffer.wrap(body, offset, length).slice());
    }

    /** One tensor from its raw bytes (the V2 binary form, or gRPC's raw contents): {@code data} from position to limit. */
    public static TensorBuffer read(String name, Datatype type, long[] shape, ByteBuffer data) {
        long count = TensorShapes.elements(name, shape);
        ByteBuffer in = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (type == Datatype.BYTES) {
            return strings(name, shape, TensorShapes.strings(name, shape), in);
        }
        if (!type.creatable()) {
            throw new InvalidTensorException("input '" + name + "': datatype " + type + " cannot be created through ONNX Runtime's Java API");
        }
        long expected = count * type.bytesPerElement();
        if (in.remaining() != expected) {
            throw new InvalidTensorException("input '" + name + "': binary_data_size is " + in.remaining() + " bytes but shape "
                    + ClientText.shape(shape) + " of " + type + " takes " + expected);
        }
        ByteBuffer out = TensorBuffer.allocate(type, count);
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN || type.bytesPerElement() == 1) {
            out.put(in);
        } else {
            swap(type, in, out);
        }
        if (type == Datatype.BOOL) {
            for (int i = 0; i < count; i++) {
                if ((out.get(i) & 0xfe) != 0) {
                    throw new InvalidTensorException("input '" + name + "': BOOL byte " + i + " is " + (out.get(i) & 0xff)
                            + "; booleans are 0 or 1");
                }
            }
        }
        return TensorBuffer.numeric(name, type, shape, out);
    }

    private static void swap(Datatype type, ByteBuffer in, ByteBuffer out) {
        while (in.hasRemaining()) {
            switch (type.bytesPerElement()) {
                case 2 -> out.putShort(in.getShort());
                case 4 -> out.putInt(in.getInt());
                default -> out.putLong(in.getLong());
            }
        }
    }

    private static TensorBuffer strings(String name, long[] shape, long count, ByteBuffer in) {
        String[] values = new String[(int) count];
        Utf8Text text = new Utf8Text(name);
        int start = in.position();
        for (int i = 0; i < count; i++) {
            if (in.remaining() < 4) {
                throw new InvalidTensorException("input '" + name + "': binary BYTES data ends before element " + i + " of " + count);
            }
            int n = in.getInt();
            if (n < 0 || n > in.remaining()) {
                throw new InvalidTensorException("input '" + name + "': BYTES element " + i + " says " + n + " bytes but "
                        + in.remaining() + " remain");
            }
            values[i] = text.decode(i, in, n, in.position() - start);
        }
        if (in.hasRemaining()) {
            throw new InvalidTensorException("input '" + name + "': " + in.remaining() + " bytes left after the " + count
                    + " BYTES elements its shape holds");
        }
        return TensorBuffer.strings(name, shape, values);
    }
}
