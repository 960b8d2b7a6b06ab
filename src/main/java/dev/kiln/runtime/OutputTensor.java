package dev.kiln.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.platform.Fp16Conversions;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Array;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One output of a run, copied out of ONNX Runtime once (so the session can take the next request
 * while answers are written), and written to each caller's answer: all of it, or the caller's rows
 * of a batch. JSON floats go through the generator's shortest round-trip writer (Schubfach), never
 * {@code Float.toString}; NaN and infinities become the strings {@code "NaN"}, {@code "Infinity"},
 * {@code "-Infinity"}, which JSON numbers cannot carry. Binary output is little-endian, row-major.
 */
public final class OutputTensor {

    private final String name;
    private final Datatype type;
    private final long[] shape;
    private final Buffer values;
    private final String[] strings;
    private final long rowElements;

    private OutputTensor(String name, Datatype type, long[] shape, Buffer values, String[] strings) {
        this.name = name;
        this.type = type;
        this.shape = shape;
        this.values = values;
        this.strings = strings;
        long perRow = 1;
        for (int i = 1; i < shape.length; i++) {
            perRow *= shape[i];
        }
        this.rowElements = perRow;
    }

    public static OutputTensor of(String name, OnnxValue value) throws OrtException {
        if (!(value instanceof OnnxTensor tensor)) {
            throw new OrtException("output '" + name + "' is a " + value.getType() + ", which V2 tensors cannot carry");
        }
        TensorInfo info = tensor.getInfo();
        Datatype type = Datatype.of(info.onnxType).orElseThrow(() ->
                new OrtException("output '" + name + "' has unsupported type " + info.onnxType));
        long[] shape = info.getShape();
        if (type == Datatype.BYTES) {
            List<String> flat = new ArrayList<>();
            flatten(tensor.getValue(), flat);
            return new OutputTensor(name, type, shape, null, flat.toArray(new String[0]));
        }
        Buffer values = switch (type) {
            case FP32 -> tensor.getFloatBuffer();
            case FP64 -> tensor.getDoubleBuffer();
            case INT64, UINT64 -> tensor.getLongBuffer();
            case INT32, UINT32 -> tensor.getIntBuffer();
            case INT16, UINT16, FP16, BF16 -> tensor.getShortBuffer();
            default -> tensor.getByteBuffer();
        };
        return new OutputTensor(name, type, shape, values, null);
    }

    public String name() {
        return name;
    }

    public Datatype type() {
        return type;
    }

    /** The first dimension: the rows a batch's callers share out. */
    public long rows() {
        return shape.length == 0 ? 1 : shape[0];
    }

    /** The shape of {@code rows} rows of this output. */
    public long[] shape(long rows) {
        long[] s = shape.clone();
        if (s.length > 0) {
            s[0] = rows;
        }
        return s;
    }

    /** Writes rows [{@code firstRow}, {@code firstRow + rows}) as a flat JSON array. */
    public void writeJson(JsonGenerator g, long firstRow, long rows) throws IOException {
        int from = Math.toIntExact(firstRow * rowElements);
        int to = Math.toIntExact((firstRow + rows) * rowElements);
        g.writeStartArray();
        switch (type) {
            case FP32 -> {
                FloatBuffer b = (FloatBuffer) values;
                for (int i = from; i < to; i++) {
                    writeFloat(g, b.get(i));
                }
            }
            case FP64 -> {
                DoubleBuffer b = (DoubleBuffer) values;
                for (int i = from; i < to; i++) {
                    double d = b.get(i);
                    if (Double.isFinite(d)) {
                        g.writeNumber(d);
                    } else {
                        g.writeString(special(d));
                    }
                }
            }
            case FP16, BF16 -> {
                ShortBuffer b = (ShortBuffer) values;
                for (int i = from; i < to; i++) {
                    writeFloat(g, type == Datatype.FP16 ? Fp16Conversions.fp16ToFloat(b.get(i)) : Fp16Conversions.bf16ToFloat(b.get(i)));
                }
            }
            case INT64 -> {
                LongBuffer b = (LongBuffer) values;
                for (int i = from; i < to; i++) {
                    g.writeNumber(b.get(i));
                }
            }
            case UINT64 -> {
                LongBuffer b = (LongBuffer) values;
                for (int i = from; i < to; i++) {
                    g.writeNumber(Long.toUnsignedString(b.get(i)));
                }
            }
            case INT32 -> {
                IntBuffer b = (IntBuffer) values;
                for (int i = from; i < to; i++) {
                    g.writeNumber(b.get(i));
                }
            }
            case UINT32 -> {
                IntBuffer b = (IntBuffer) values;
                for (int i = from; i < to; i++) {
                    g.writeNumber(Integer.toUnsignedLong(b.get(i)));
                }
            }
            case INT16, UINT16 -> {
                ShortBuffer b = (ShortBuffer) values;
                for (int i = from; i < to; i++) {
                    g.writeNumber(type == Datatype.INT16 ? b.get(i) : Short.toUnsignedInt(b.get(i)));
                }
            }
            case INT8, UINT8 -> {
                ByteBuffer b = (ByteBuffer) values;
                for (int i = from; i < to; i++) {
                    g.writeNumber(type == Datatype.INT8 ? b.get(i) : Byte.toUnsignedInt(b.get(i)));
                }
            }
            case BOOL -> {
                ByteBuffer b = (ByteBuffer) values;
                for (int i = from; i < to; i++) {
                    g.writeBoolean(b.get(i) != 0);
                }
            }
            case BYTES -> {
                for (int i = from; i < to; i++) {
                    g.writeString(strings[i]);
                }
            }
        }
        g.writeEndArray();
    }

    private static void writeFloat(JsonGenerator g, float f) throws IOException {
        if (Float.isFinite(f)) {
            g.writeNumber(f);
        } else {
            g.writeString(special(f));
        }
    }

    private static String special(double d) {
        return Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
    }

    /** The bytes rows [{@code firstRow}, {@code firstRow + rows}) take in the binary format. */
    public long binarySize(long firstRow, long rows) {
        int from = Math.toIntExact(firstRow * rowElements);
        int to = Math.toIntExact((firstRow + rows) * rowElements);
        if (type != Datatype.BYTES) {
            return (long) (to - from) * type.bytesPerElement();
        }
        long n = 0;
        for (int i = from; i < to; i++) {
            n += 4 + strings[i].getBytes(StandardCharsets.UTF_8).length;
        }
        return n;
    }

    /** Writes rows [{@code firstRow}, {@code firstRow + rows}) in the binary tensor format. */
    public void writeBinary(OutputStream out, long firstRow, long rows) throws IOException {
        int from = Math.toIntExact(firstRow * rowElements);
        int to = Math.toIntExact((firstRow + rows) * rowElements);
        if (type == Datatype.BYTES) {
            ByteBuffer len = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = from; i < to; i++) {
                byte[] s = strings[i].getBytes(StandardCharsets.UTF_8);
                out.write(len.putInt(0, s.length).array());
                out.write(s);
            }
            return;
        }
        int width = type.bytesPerElement();
        ByteBuffer b = ByteBuffer.allocate((to - from) * width).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case FP32 -> b.asFloatBuffer().put(((FloatBuffer) values).slice(from, to - from));
            case FP64 -> b.asDoubleBuffer().put(((DoubleBuffer) values).slice(from, to - from));
            case INT64, UINT64 -> b.asLongBuffer().put(((LongBuffer) values).slice(from, to - from));
            case INT32, UINT32 -> b.asIntBuffer().put(((IntBuffer) values).slice(from, to - from));
            case INT16, UINT16, FP16, BF16 -> b.asShortBuffer().put(((ShortBuffer) values).slice(from, to - from));
            default -> b.put(((ByteBuffer) values).slice(from, to - from));
        }
        out.write(b.array());
    }

    private static void flatten(Object value, List<String> out) {
        if (value instanceof String s) {
            out.add(s);
        } else if (value != null && value.getClass().isArray()) {
            for (int i = 0; i < Array.getLength(value); i++) {
                flatten(Array.get(value, i), out);
            }
        }
    }
}
