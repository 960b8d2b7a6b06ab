package dev.kiln.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.kiln.errors.KilnError;
import dev.kiln.runtime.BinaryTensorReader;
import dev.kiln.runtime.Datatype;
import dev.kiln.runtime.InvalidTensorException;
import dev.kiln.runtime.OutputTensor;
import dev.kiln.runtime.TensorBuffer;
import dev.kiln.runtime.TensorShapes;
import dev.kiln.runtime.Utf8Text;
import inference.InferTensorContents;
import inference.ModelInferRequest;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Protobuf tensors straight to and from Kiln's: raw contents are copied once into the direct
 * buffer ONNX Runtime reads; typed contents are read value by value from protobuf's primitive
 * lists (no boxing) into the same buffer; raw answers wrap the output buffers without a copy.
 */
final class GrpcTensors {

    private GrpcTensors() {
    }

    /** An input from its raw little-endian bytes. */
    static TensorBuffer raw(String name, Datatype type, long[] shape, ByteString bytes) {
        return BinaryTensorReader.read(name, type, shape, bytes.asReadOnlyByteBuffer());
    }

    /** An input from its typed contents. */
    static TensorBuffer typed(ModelInferRequest.InferInputTensor in, Datatype type, long[] shape) {
        String name = in.getName();
        InferTensorContents c = in.getContents();
        long count = TensorShapes.elements(name, shape);
        if (type == Datatype.BYTES) {
            TensorShapes.strings(name, shape);
            check(name, type, count, c.getBytesContentsCount());
            String[] values = new String[(int) count];
            Utf8Text text = new Utf8Text(name);
            long offset = 0;
            for (int i = 0; i < count; i++) {
                ByteString element = c.getBytesContents(i);
                values[i] = text.decode(i, element.asReadOnlyByteBuffer(), element.size(), offset);
                offset += element.size();
            }
            return TensorBuffer.ofStrings(name, shape, values);
        }
        ByteBuffer b = TensorBuffer.allocate(type, count);
        switch (type) {
            case BOOL -> {
                check(name, type, count, c.getBoolContentsCount());
                for (int i = 0; i < count; i++) {
                    b.put((byte) (c.getBoolContents(i) ? 1 : 0));
                }
            }
            case INT8, INT16, INT32 -> {
                check(name, type, count, c.getIntContentsCount());
                for (int i = 0; i < count; i++) {
                    putInt(b, name, type, c.getIntContents(i), i);
                }
            }
            case UINT8 -> {
                check(name, type, count, c.getUintContentsCount());
                for (int i = 0; i < count; i++) {
                    int v = c.getUintContents(i);
                    if (v < 0 || v > 255) {
                        throw outOfRange(name, type, v, i);
                    }
                    b.put((byte) v);
                }
            }
            case INT64 -> {
                check(name, type, count, c.getInt64ContentsCount());
                for (int i = 0; i < count; i++) {
                    b.putLong(c.getInt64Contents(i));
                }
            }
            case FP32 -> {
                check(name, type, count, c.getFp32ContentsCount());
                for (int i = 0; i < count; i++) {
                    b.putFloat(c.getFp32Contents(i));
                }
            }
            case FP64 -> {
                check(name, type, count, c.getFp64ContentsCount());
                for (int i = 0; i < count; i++) {
                    b.putDouble(c.getFp64Contents(i));
                }
            }
            case FP16 -> throw KilnError.invalid("input '" + name + "': FP16 has no typed contents in the protocol;"
                    + " send it in raw_input_contents");
            default -> throw new InvalidTensorException("input '" + name + "': datatype " + type
                    + " cannot be created through ONNX Runtime's Java API");
        }
        return TensorBuffer.ofNative(name, type, shape, b.flip());
    }

    /** Raw contents of an output: its little-endian bytes, wrapped rather than copied. */
    static ByteString raw(OutputTensor o) {
        return o.type() == Datatype.BYTES ? UnsafeByteOperations.unsafeWrap(o.stringsBinary())
                : UnsafeByteOperations.unsafeWrap(o.littleEndian());
    }

    /** Typed contents of an output. */
    static InferTensorContents typed(OutputTensor o) {
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        if (o.type() == Datatype.BYTES) {
            o.strings().forEach(s -> c.addBytesContents(ByteString.copyFromUtf8(s)));
            return c.build();
        }
        ByteBuffer b = o.littleEndian();
        switch (o.type()) {
            case BOOL -> { while (b.hasRemaining()) c.addBoolContents(b.get() != 0); }
            case INT8 -> { while (b.hasRemaining()) c.addIntContents(b.get()); }
            case UINT8 -> { while (b.hasRemaining()) c.addUintContents(b.get() & 0xFF); }
            case INT16 -> { while (b.hasRemaining()) c.addIntContents(b.getShort()); }
            case UINT16 -> { while (b.hasRemaining()) c.addUintContents(b.getShort() & 0xFFFF); }
            case INT32 -> { while (b.hasRemaining()) c.addIntContents(b.getInt()); }
            case UINT32 -> { while (b.hasRemaining()) c.addUintContents(b.getInt()); }
            case INT64 -> { while (b.hasRemaining()) c.addInt64Contents(b.getLong()); }
            case UINT64 -> { while (b.hasRemaining()) c.addUint64Contents(b.getLong()); }
            case FP32 -> { while (b.hasRemaining()) c.addFp32Contents(b.getFloat()); }
            case FP64 -> { while (b.hasRemaining()) c.addFp64Contents(b.getDouble()); }
            default -> throw KilnError.invalid("output datatype " + o.type() + " has no typed contents in the protocol (FP16):"
                    + " send the inputs in raw_input_contents to get raw outputs");
        }
        return c.build();
    }

    private static void putInt(ByteBuffer b, String name, Datatype type, int v, int i) {
        switch (type) {
            case INT8 -> {
                if (v != (byte) v) {
                    throw outOfRange(name, type, v, i);
                }
                b.put((byte) v);
            }
            case INT16 -> {
                if (v != (short) v) {
                    throw outOfRange(name, type, v, i);
                }
                b.putShort((short) v);
            }
            default -> b.putInt(v);
        }
    }

    private static InvalidTensorException outOfRange(String name, Datatype type, long v, int i) {
        return new InvalidTensorException("input '" + name + "': value " + v + " at position " + i + " is out of range for " + type);
    }

    private static void check(String name, Datatype type, long count, int given) {
        if (given != count) {
            throw new InvalidTensorException("input '" + name + "': shape holds " + count + " " + type + " value(s) but the"
                    + " typed contents have " + given);
        }
    }

    static long[] shape(List<Long> dims) {
        return dims.stream().mapToLong(Long::longValue).toArray();
    }
}
