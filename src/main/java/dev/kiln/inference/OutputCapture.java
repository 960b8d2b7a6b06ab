package dev.kiln.inference;

import dev.kiln.runtime.Datatype;
import dev.kiln.runtime.OutputTensor;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The numeric outputs of one answer, copied as doubles (at most {@link #MAX_VALUES} in all, the
 * first ones of each output in order), so a shadow's answer can be set against the primary's after
 * both buffers are gone. BYTES outputs are kept by name and shape only.
 */
final class OutputCapture {

    static final int MAX_VALUES = 1 << 18;

    /** One output as captured; {@code values} is null for BYTES, and may hold only the first elements. */
    record Captured(String name, Datatype type, long[] shape, double[] values) {
    }

    /** How far a shadow's answer is from the primary's; {@code comparable} false when they cannot be set side by side. */
    record Distance(boolean comparable, double maxAbsDiff, double cosine) {
        static final Distance NONE = new Distance(false, 0, Double.NaN);
    }

    private volatile List<Captured> outputs;

    /** Called on the worker that wrote the answer: a copy, bounded, of what it holds. */
    void take(List<OutputTensor> answer) {
        List<Captured> out = new ArrayList<>(answer.size());
        int budget = MAX_VALUES;
        for (OutputTensor o : answer) {
            if (o.type() == Datatype.BYTES) {
                out.add(new Captured(o.name(), o.type(), o.shape(), null));
                continue;
            }
            int n = (int) Math.min(o.elements(), budget);
            budget -= n;
            out.add(new Captured(o.name(), o.type(), o.shape(), values(o, n)));
        }
        outputs = out;
    }

    List<Captured> outputs() {
        return outputs;
    }

    /**
     * The largest absolute difference between the two answers' elements and the cosine similarity of
     * their values, over every numeric output of the primary (same names, datatypes and shapes on
     * both sides, else not comparable). A NaN against a number counts as the largest difference.
     */
    static Distance between(List<Captured> primary, List<Captured> shadow) {
        if (primary == null || shadow == null) {
            return Distance.NONE;
        }
        double maxAbs = 0;
        double dot = 0;
        double aa = 0;
        double bb = 0;
        int compared = 0;
        for (Captured p : primary) {
            if (p.values() == null) {
                continue;
            }
            Captured s = shadow.stream().filter(x -> x.name().equals(p.name())).findFirst().orElse(null);
            if (s == null || s.values() == null || !Arrays.equals(p.shape(), s.shape()) || s.values().length != p.values().length) {
                return Distance.NONE;
            }
            for (int i = 0; i < p.values().length; i++) {
                double a = p.values()[i];
                double b = s.values()[i];
                if (Double.isNaN(a) || Double.isNaN(b)) {
                    maxAbs = Double.isNaN(a) && Double.isNaN(b) ? maxAbs : Double.MAX_VALUE;
                    continue;
                }
                maxAbs = Math.max(maxAbs, Math.min(Double.MAX_VALUE, Math.abs(a - b)));
                dot += a * b;
                aa += a * a;
                bb += b * b;
            }
            compared++;
        }
        if (compared == 0) {
            return Distance.NONE;
        }
        double cosine = aa == 0 && bb == 0 ? 1 : aa == 0 || bb == 0 ? Double.NaN : dot / (Math.sqrt(aa) * Math.sqrt(bb));
        return new Distance(true, maxAbs, cosine);
    }

    private static double[] values(OutputTensor o, int n) {
        ByteBuffer b = o.nativeOrder();
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (o.type()) {
                case BOOL, INT8 -> b.get(i);
                case UINT8 -> b.get(i) & 0xff;
                case INT16 -> b.getShort(i * 2);
                case UINT16 -> b.getShort(i * 2) & 0xffff;
                case FP16 -> half(b.getShort(i * 2));
                case BF16 -> Float.intBitsToFloat((b.getShort(i * 2) & 0xffff) << 16);
                case INT32 -> b.getInt(i * 4);
                case UINT32 -> b.getInt(i * 4) & 0xffffffffL;
                case FP32 -> b.getFloat(i * 4);
                case INT64 -> b.getLong(i * 8);
                case UINT64 -> unsigned(b.getLong(i * 8));
                case FP64 -> b.getDouble(i * 8);
                case BYTES -> 0;
            };
        }
        return v;
    }

    private static double unsigned(long x) {
        return x >= 0 ? x : (x >>> 1) * 2.0 + (x & 1);
    }

    /** IEEE 754 half precision to double. */
    static double half(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) != 0 ? -1 : 1;
        int exp = (h >>> 10) & 0x1f;
        int frac = h & 0x3ff;
        if (exp == 0) {
            return sign * frac * Math.pow(2, -24);
        }
        if (exp == 0x1f) {
            return frac == 0 ? sign * Double.POSITIVE_INFINITY : Double.NaN;
        }
        return sign * (1 + frac / 1024.0) * Math.pow(2, exp - 15);
    }
}
