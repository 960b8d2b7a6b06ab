package dev.kiln.runtime;

import dev.kiln.errors.ClientText;

import ai.onnxruntime.platform.Fp16Conversions;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.InputCoercionException;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Reads a V2 JSON {@code data} value straight from the parser into a {@link TensorBuffer}: one pass,
 * no tree, each value converted as it arrives. Flat data must hold exactly as many values as the
 * shape; nested data must nest exactly as the shape does, which is checked array by array.
 * Floating-point inputs also take the strings {@code "NaN"}, {@code "Infinity"} and
 * {@code "-Infinity"}, which is how Kiln writes those values (JSON has no number for them).
 */
public final class JsonTensorReader {

    private JsonTensorReader() {
    }

    /** The parser stands on the value of {@code data}; it is left on that value's last token. */
    public static TensorBuffer read(JsonParser p, String name, Datatype type, long[] shape) throws IOException {
        long count = TensorShapes.elements(name, shape);
        Sink sink = type == Datatype.BYTES ? new Strings(name, (int) TensorShapes.strings(name, shape)) : new Numbers(name, type, count);
        JsonToken t = p.currentToken();
        if (t != JsonToken.START_ARRAY) {
            if (count != 1 || t == JsonToken.START_OBJECT) {
                throw new InvalidTensorException("input '" + name + "': 'data' must be an array of " + count + " value(s)");
            }
            sink.put(p, t, 0);
        } else {
            JsonToken first = p.nextToken();
            long n = first == JsonToken.START_ARRAY ? nested(p, name, shape, sink) : flat(p, name, count, first, sink);
            if (n != count) {
                throw new InvalidTensorException("input '" + name + "': shape " + ClientText.shape(shape) + " needs "
                        + count + " values but data has " + n);
            }
        }
        return sink.done(shape);
    }

    private static long flat(JsonParser p, String name, long count, JsonToken t, Sink sink) throws IOException {
        long n = 0;
        for (; t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t == JsonToken.START_ARRAY || t == JsonToken.START_OBJECT) {
                throw new InvalidTensorException("input '" + name + "': 'data' mixes nested arrays and values");
            }
            if (n == count) {
                throw new InvalidTensorException("input '" + name + "': data has more than the " + count + " values its shape holds");
            }
            sink.put(p, t, n++);
        }
        return n;
    }

    /** Walks nested arrays, checking each one's length against its dimension as it closes. */
    private static long nested(JsonParser p, String name, long[] shape, Sink sink) throws IOException {
        int rank = shape.length;
        long[] seen = new long[rank + 2];
        int depth = 1;
        long n = 0;
        JsonToken t = JsonToken.START_ARRAY;
        while (true) {
            if (t == JsonToken.START_ARRAY) {
                if (depth >= rank) {
                    throw new InvalidTensorException("input '" + name + "': data nests deeper than its shape "
                            + ClientText.shape(shape));
                }
                checkRoom(name, shape, seen, depth);
                depth++;
                seen[depth] = 0;
            } else if (t == JsonToken.END_ARRAY) {
                if (seen[depth] != shape[depth - 1]) {
                    throw new InvalidTensorException("input '" + name + "': an array at depth " + depth + " has " + seen[depth]
                            + " elements but shape " + ClientText.shape(shape) + " says " + shape[depth - 1]);
                }
                depth--;
                if (depth == 0) {
                    return n;
                }
            } else if (t == JsonToken.START_OBJECT || t == null) {
                throw new InvalidTensorException("input '" + name + "': 'data' holds something that is not a value or an array");
            } else {
                if (depth != rank) {
                    throw new InvalidTensorException("input '" + name + "': values at depth " + depth + " but shape "
                            + ClientText.shape(shape) + " has rank " + rank);
                }
                checkRoom(name, shape, seen, depth);
                sink.put(p, t, n++);
            }
            t = p.nextToken();
        }
    }

    private static void checkRoom(String name, long[] shape, long[] seen, int depth) {
        if (++seen[depth] > shape[depth - 1]) {
            throw new InvalidTensorException("input '" + name + "': an array at depth " + depth + " has more than the "
                    + shape[depth - 1] + " elements shape " + ClientText.shape(shape) + " says");
        }
    }

    /** Where values go, converted to the datatype. */
    private interface Sink {
        void put(JsonParser p, JsonToken t, long index) throws IOException;

        TensorBuffer done(long[] shape);
    }

    private static final class Numbers implements Sink {
        private final String name;
        private final Datatype type;
        private final ByteBuffer out;

        Numbers(String name, Datatype type, long count) {
            if (!type.creatable()) {
                throw new InvalidTensorException("input '" + name + "': datatype " + type
                        + " cannot be created through ONNX Runtime's Java API");
            }
            this.name = name;
            this.type = type;
            this.out = TensorBuffer.allocate(type, count);
        }

        @Override
        public void put(JsonParser p, JsonToken t, long i) throws IOException {
            switch (type) {
                case FP32 -> out.putFloat(finite(floating(p, t, i), t, p, i));
                case FP64 -> out.putDouble(t == JsonToken.VALUE_STRING ? special(p, i) : finite(numberCheck(p, t, i).getDoubleValue(), t, p, i));
                case FP16 -> out.putShort(fp16(floating(p, t, i), t, p, i));
                case INT64 -> out.putLong(integer(p, t, i, Long.MIN_VALUE, Long.MAX_VALUE));
                case INT32 -> out.putInt((int) integer(p, t, i, Integer.MIN_VALUE, Integer.MAX_VALUE));
                case INT16 -> out.putShort((short) integer(p, t, i, Short.MIN_VALUE, Short.MAX_VALUE));
                case INT8 -> out.put((byte) integer(p, t, i, Byte.MIN_VALUE, Byte.MAX_VALUE));
                case UINT8 -> out.put((byte) integer(p, t, i, 0, 255));
                case BOOL -> {
                    if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) {
                        throw invalid(p, i, "true or false");
                    }
                    out.put((byte) (t == JsonToken.VALUE_TRUE ? 1 : 0));
                }
                default -> throw new InvalidTensorException("input '" + name + "': datatype " + type + " is not supported");
            }
        }

        private float floating(JsonParser p, JsonToken t, long i) throws IOException {
            return t == JsonToken.VALUE_STRING ? (float) special(p, i) : numberCheck(p, t, i).getFloatValue();
        }

        /**
         * A number written out that does not fit the type is refused, as an integer's is: 1e39 became
         * FP32 Infinity without a word. "Infinity" spelt out is still Infinity.
         */
        private double finite(double v, JsonToken t, JsonParser p, long i) throws IOException {
            if (t != JsonToken.VALUE_STRING && Double.isInfinite(v)) {
                throw new InvalidTensorException("input '" + name + "': value " + shown(p) + " at position " + i
                        + " is out of range for " + type + " (write \"Infinity\" for infinity)");
            }
            return v;
        }

        private float finite(float v, JsonToken t, JsonParser p, long i) throws IOException {
            return (float) finite((double) v, t, p, i);
        }

        private short fp16(float v, JsonToken t, JsonParser p, long i) throws IOException {
            short h = Fp16Conversions.floatToFp16(finite(v, t, p, i));
            finite((double) Fp16Conversions.fp16ToFloat(h), t, p, i);
            return h;
        }

        private JsonParser numberCheck(JsonParser p, JsonToken t, long i) throws IOException {
            if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) {
                throw invalid(p, i, "a number");
            }
            return p;
        }

        private double special(JsonParser p, long i) throws IOException {
            return switch (p.getText()) {
                case "NaN" -> Double.NaN;
                case "Infinity" -> Double.POSITIVE_INFINITY;
                case "-Infinity" -> Double.NEGATIVE_INFINITY;
                default -> throw invalid(p, i, "a number (or \"NaN\", \"Infinity\", \"-Infinity\")");
            };
        }

        private long integer(JsonParser p, JsonToken t, long i, long min, long max) throws IOException {
            if (t != JsonToken.VALUE_NUMBER_INT) {
                throw invalid(p, i, "an integer");
            }
            long v;
            try {
                v = p.getLongValue();
            } catch (InputCoercionException e) {
                throw new InvalidTensorException("input '" + name + "': value " + shown(p) + " at position " + i
                        + " is out of range for " + type);
            }
            if (v < min || v > max) {
                throw new InvalidTensorException("input '" + name + "': value " + v + " at position " + i + " is out of range for "
                        + type + " [" + min + ", " + max + "]");
            }
            return v;
        }

        private InvalidTensorException invalid(JsonParser p, long i, String want) throws IOException {
            return new InvalidTensorException("input '" + name + "': " + type + " data must be " + want + ", got " + shown(p)
                    + " at position " + i);
        }

        @Override
        public TensorBuffer done(long[] shape) {
            return TensorBuffer.numeric(name, type, shape, out);
        }
    }

    private static final class Strings implements Sink {
        private final String name;
        private final String[] values;
        private final Utf8Text text;

        Strings(String name, int count) {
            this.name = name;
            this.values = new String[count];
            this.text = new Utf8Text(name);
        }

        @Override
        public void put(JsonParser p, JsonToken t, long i) throws IOException {
            if (t != JsonToken.VALUE_STRING) {
                throw new InvalidTensorException("input '" + name + "': BYTES data must be a string, got " + shown(p)
                        + " at position " + i);
            }
            values[(int) i] = text.check(i, p.getText());
        }

        @Override
        public TensorBuffer done(long[] shape) {
            return TensorBuffer.strings(name, shape, values);
        }
    }

    private static String shown(JsonParser p) throws IOException {
        String s = p.currentToken() == JsonToken.VALUE_STRING ? "\"" + p.getText() + "\"" : p.getText();
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
