package dev.kiln.runtime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Reads one input of the V2 binary tensor data extension: the raw bytes of its elements,
 * little-endian and row-major; BYTES elements each a 4-byte little-endian length, then the bytes.
 */
public final class BinaryTensorReader {

    private BinaryTensorReader() {
    }

    public static TensorBuffer read(String name, Datatype type, long[] shape, byte[] body, int offset, int length) {
        long count = TensorShapes.elements(name, shape);
        if (type == Datatype.BYTES) {
            return strings(name, shape, count, body, offset, length);
        }
        if (!type.creatable()) {
            throw new InvalidTensorException("input '" + name + "': datatype " + type + " cannot be created through ONNX Runtime's Java API");
        }
        long expected = count * type.bytesPerElement();
        if (length != expected) {
            throw new InvalidTensorException("input '" + name + "': binary_data_size is " + length + " bytes but shape "
                    + Arrays.toString(shape) + " of " + type + " takes " + expected);
        }
        ByteBuffer out = TensorBuffer.allocate(type, count);
        ByteBuffer in = ByteBuffer.wrap(body, offset, length).order(ByteOrder.LITTLE_ENDIAN);
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

    private static TensorBuffer strings(String name, long[] shape, long count, byte[] body, int offset, int length) {
        String[] values = new String[(int) count];
        Utf8Text text = new Utf8Text(name);
        ByteBuffer in = ByteBuffer.wrap(body, offset, length).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            if (in.remaining() < 4) {
                throw new InvalidTensorException("input '" + name + "': binary BYTES data ends before element " + i + " of " + count);
            }
            int n = in.getInt();
            if (n < 0 || n > in.remaining()) {
                throw new InvalidTensorException("input '" + name + "': BYTES element " + i + " says " + n + " bytes but "
                        + in.remaining() + " remain");
            }
            values[i] = text.decode(i, body, offset, in.position(), n);
            in.position(in.position() + n);
        }
        if (in.hasRemaining()) {
            throw new InvalidTensorException("input '" + name + "': " + in.remaining() + " bytes left after the " + count
                    + " BYTES elements its shape holds");
        }
        return TensorBuffer.strings(name, shape, values);
    }
}
