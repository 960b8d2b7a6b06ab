package dev.kiln.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.platform.Fp16Conversions;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One output of a run, copied out of ONNX Runtime once into a direct buffer (off the heap, so the
 * session can take the next request and a large answer never sits whole in the Java heap), and
 * handed to each caller as a view of its own rows. JSON floats are the shortest decimals that read
 * back as the same floats (FloatText), never JDK 17's {@code Float.toString}; NaN and infinities become the strings
 * {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}, which JSON numbers cannot carry. Raw bytes
 * are little-endian and row-major, as the V2 binary extension and gRPC's raw contents want them.
 */
public final class OutputTensor {

    /** How much float text is handed to the JSON generator at a time: less than its own buffer, so it is copied once. */
    private static final int JSON_CHUNK_BYTES = 2048;

    private final String name;
    private final Datatype type;
    private final long[] shape;
    /** Numeric values in native order, exactly this tensor's elements; null for BYTES. */
    private final ByteBuffer values;
    private final String[] strings;
    private final int firstString;

    private OutputTensor(String name, Datatype type, long[] shape, ByteBuffer values, String[] strings, int firstString) {
        this.name = name;
        this.type = type;
        this.shape = shape;
        this.values = values;
        this.strings = strings;
        this.firstString = firstString;
    }

    /** Copies an output of ONNX Runtime out of its memory (one copy, native to native). */
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
            return new OutputTensor(name, type, shape, null, flat.toArray(new String[0]), 0);
        }
        return new OutputTensor(name, type, shape, OrtOutputs.copy(tensor), null, 0);
    }

    /** A tensor Kiln computed itself (a pipeline step's result), given in native order. */
    public static OutputTensor of(String name, Datatype type, long[] shape, ByteBuffer nativeOrder) {
        long bytes = elements(shape) * type.bytesPerElement();
        if (type == Datatype.BYTES || nativeOrder.remaining() != bytes) {
            throw new IllegalArgumentException("output '" + name + "': " + nativeOrder.remaining() + " bytes for "
                    + Arrays.toString(shape) + " of " + type);
        }
        return new OutputTensor(name, type, shape.clone(), nativeOrder.slice().order(ByteOrder.nativeOrder()), null, 0);
    }

    /** A BYTES tensor Kiln computed itself. */
    public static OutputTensor ofStrings(String name, long[] shape, String[] values) {
        if (elements(shape) != values.length) {
            throw new IllegalArgumentException("output '" + name + "': " + values.length + " strings for " + Arrays.toString(shape));
        }
        return new OutputTensor(name, Datatype.BYTES, shape.clone(), null, values, 0);
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

    /** The first dimension: the rows a batch's callers share out. */
    public long rows() {
        return shape.length == 0 ? 1 : shape[0];
    }

    public long elements() {
        return elements(shape);
    }

    /** Rows [{@code first}, {@code first + count}) as a tensor of their own, sharing this one's memory. */
    public OutputTensor rows(long first, long count) {
        if (first == 0 && count == rows()) {
            return this;
        }
        long[] s = shape.clone();
        s[0] = count;
        long perRow = shape[0] == 0 ? 0 : elements() / shape[0];
        int from = Math.toIntExact(first * perRow);
        int n = Math.toIntExact(count * perRow);
        if (type == Datatype.BYTES) {
            return new OutputTensor(name, type, s, null, strings, firstString + from);
        }
        int width = type.bytesPerElement();
        return new OutputTensor(name, type, s, values.slice(from * width, n * width).order(ByteOrder.nativeOrder()), null, 0);
    }

    /** The values as little-endian bytes, read-only and without a copy where the machine is little-endian. */
    public ByteBuffer littleEndian() {
        if (type == Datatype.BYTES) {
            throw new IllegalStateException("BYTES have no fixed-width form; use strings()");
        }
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN || type.bytesPerElement() == 1) {
            return values.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        }
        ByteBuffer swapped = ByteBuffer.allocate(values.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer in = values.duplicate().order(ByteOrder.nativeOrder());
        while (in.hasRemaining()) {
            switch (type.bytesPerElement()) {
                case 2 -> swapped.putShort(in.getShort());
                case 4 -> swapped.putInt(in.getInt());
                default -> swapped.putLong(in.getLong());
            }
        }
        return swapped.flip().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The values in native order (read-only): what a pipeline's next step reads. */
    public ByteBuffer nativeOrder() {
        return values.asReadOnlyBuffer().order(ByteOrder.nativeOrder());
    }

    /** The elements of a BYTES tensor. */
    public List<String> strings() {
        return Arrays.asList(strings).subList(firstString, firstString + (int) elements());
    }

    /** The bytes these values take in the binary tensor format (BYTES: a 4-byte length before each element). */
    public long binarySize() {
        if (type != Datatype.BYTES) {
            return values.remaining();
        }
        long n = 0;
        for (String s : strings()) {
            n += 4 + s.getBytes(StandardCharsets.UTF_8).length;
        }
        return n;
    }

    /** The values as a flat JSON array. */
    public void writeJson(JsonGenerator g) throws IOException {
        int n = (int) elements();
        g.writeStartArray();
        switch (type) {
            case FP32, FP16, BF16 -> writeFloats(g, n);
            case FP64 -> {
                DoubleBuffer b = values.asDoubleBuffer();
                for (int i = 0; i < n; i++) {
                    double d = b.get(i);
                    if (Double.isFinite(d)) {
                        g.writeNumber(d);
                    } else {
                        g.writeString(special(d));
                    }
                }
            }
            case INT64 -> {
                LongBuffer b = values.asLongBuffer();
                for (int i = 0; i < n; i++) {
                    g.writeNumber(b.get(i));
                }
            }
            case UINT64 -> {
                LongBuffer b = values.asLongBuffer();
                for (int i = 0; i < n; i++) {
                    g.writeNumber(Long.toUnsignedString(b.get(i)));
                }
            }
            case INT32 -> {
                IntBuffer b = values.asIntBuffer();
                for (int i = 0; i < n; i++) {
                    g.writeNumber(b.get(i));
                }
            }
            case UINT32 -> {
                IntBuffer b = values.asIntBuffer();
                for (int i = 0; i < n; i++) {
                    g.writeNumber(Integer.toUnsignedLong(b.get(i)));
                }
            }
            case INT16, UINT16 -> {
                ShortBuffer b = values.asShortBuffer();
                for (int i = 0; i < n; i++) {
                    g.writeNumber(type == Datatype.INT16 ? b.get(i) : Short.toUnsignedInt(b.get(i)));
                }
            }
            case INT8, UINT8 -> {
                for (int i = 0; i < n; i++) {
                    g.writeNumber(type == Datatype.INT8 ? values.get(i) : Byte.toUnsignedInt(values.get(i)));
                }
            }
            case BOOL -> {
                for (int i = 0; i < n; i++) {
                    g.writeBoolean(values.get(i) != 0);
                }
            }
            case BYTES -> {
                for (String s : strings()) {
                    g.writeString(s);
                }
            }
        }
        g.writeEndArray();
    }

    /** The BYTES elements in the binary tensor format: each a 4-byte little-endian length, then its UTF-8 bytes. */
    public byte[] stringsBinary() {
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(binarySize())).order(ByteOrder.LITTLE_ENDIAN);
        for (String s : strings()) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            out.putInt(b.length).put(b);
        }
        return out.array();
    }

    /**
     * Floats as JSON numbers (non-finite ones as the strings "NaN", "Infinity", "-Infinity"), printed by
     * FloatText into a chunk of ASCII that the generator copies in as one raw value: no String per number,
     * no character-to-byte pass.
     */
    private void writeFloats(JsonGenerator g, int n) throws IOException {
        FloatBuffer fp32 = type == Datatype.FP32 ? values.asFloatBuffer() : null;
        ShortBuffer half = fp32 == null ? values.asShortBuffer() : null;
        RawJson chunk = new RawJson(JSON_CHUNK_BYTES);
        byte[] text = chunk.bytes;
        int used = 0;
        for (int i = 0; i < n; i++) {
            if (used > JSON_CHUNK_BYTES - FloatText.MAX_CHARS - 1) {
                g.writeRawValue(chunk.holding(used - 1));
                used = 0;
            }
            float f = fp32 != null ? fp32.get(i)
                    : type == Datatype.FP16 ? Fp16Conversions.fp16ToFloat(half.get(i)) : Fp16Conversions.bf16ToFloat(half.get(i));
            used = Float.isFinite(f) ? FloatText.write(f, text, used) : quoted(special(f), text, used);
            text[used++] = ',';
        }
        if (used > 0) {
            g.writeRawValue(chunk.holding(used - 1));
        }
    }

    private static int quoted(String s, byte[] out, int at) {
        out[at] = '"';
        byte[] ascii = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(ascii, 0, out, at + 1, ascii.length);
        out[at + 1 + ascii.length] = '"';
        return at + ascii.length + 2;
    }

    private static String special(double d) {
        return Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
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
