package dev.kiln.runtime;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * A float as the shortest decimal that reads back as the same float, in the layout of Java 19's
 * {@code Float.toString} (Raffaello Giulietti's Schubfach: "The Schubfach way to render doubles", 2020),
 * written straight into bytes. These are the characters Kiln's JSON answers carried before
 * through Jackson's fast float writer (FloatTextTest holds them equal); writing them here, without a
 * String per number, halves what a 384-float row costs to print, which was most of a V2 JSON answer's
 * time beyond the model.
 * <p>
 * The tables are computed here from their definitions (exact big-number arithmetic) instead of being
 * copied as constants.
 */
final class FloatText {

    /** The most characters one float takes: "-1.23456789E-45". */
    static final int MAX_CHARS = 15;

    private static final int P = 24;
    private static final int Q_MIN = -149;
    private static final int Q_MAX = 104;
    private static final int C_MIN = 1 << 23;
    /** Below this, a subnormal's significand is scaled by 10 first so that it keeps enough digits. */
    private static final int C_TINY = 8;
    private static final long MASK_32 = 0xFFFF_FFFFL;
    private static final int[] POW10 = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000};
    /** "00" to "99". */
    private static final byte[] PAIRS = new byte[200];

    /** Per exponent q (index q - Q_MIN): k = floor(log10(2^q)), and for the irregular spacing at a power of two, floor(log10(3/4 2^q)). */
    private static final int[] K = new int[Q_MAX - Q_MIN + 1];
    private static final int[] K_IRREGULAR = new int[Q_MAX - Q_MIN + 1];
    private static final int K_MIN;
    /** Per k (index k - K_MIN): the upper 63 bits of g = floor(10^-k 2^-r) + 1, with r such that 2^125 <= 10^-k 2^-r < 2^126, plus one. */
    private static final long[] G;
    /** Per k: floor(log2(10^-k)). */
    private static final int[] LOG2_POW10;

    static {
        for (int i = 0; i < 100; i++) {
            PAIRS[2 * i] = (byte) ('0' + i / 10);
            PAIRS[2 * i + 1] = (byte) ('0' + i % 10);
        }
        int kMin = Integer.MAX_VALUE;
        int kMax = Integer.MIN_VALUE;
        for (int q = Q_MIN; q <= Q_MAX; q++) {
            BigDecimal pow2 = q >= 0 ? new BigDecimal(BigInteger.ONE.shiftLeft(q)) : BigDecimal.ONE.divide(new BigDecimal(BigInteger.ONE.shiftLeft(-q)));
            K[q - Q_MIN] = floorLog10(pow2);
            K_IRREGULAR[q - Q_MIN] = floorLog10(pow2.multiply(new BigDecimal("0.75")));
            kMin = Math.min(kMin, Math.min(K[q - Q_MIN], K_IRREGULAR[q - Q_MIN]));
            kMax = Math.max(kMax, K[q - Q_MIN]);
        }
        K_MIN = kMin;
        G = new long[kMax - kMin + 1];
        LOG2_POW10 = new int[kMax - kMin + 1];
        for (int k = kMin; k <= kMax; k++) {
            BigInteger num = k <= 0 ? BigInteger.TEN.pow(-k) : BigInteger.ONE;
            BigInteger den = k <= 0 ? BigInteger.ONE : BigInteger.TEN.pow(k);
            int log2 = k <= 0 ? num.bitLength() - 1 : -den.bitLength();
            int shift = 125 - log2;
            BigInteger beta = shift >= 0 ? num.shiftLeft(shift).divide(den) : num.divide(den.shiftLeft(-shift));
            BigInteger g = beta.add(BigInteger.ONE);
            G[k - kMin] = g.shiftRight(63).longValueExact() + 1;
            LOG2_POW10[k - kMin] = log2;
        }
    }

    private FloatText() {
    }

    /** Writes a finite float at {@code at}; returns the index after it. */
    static int write(float v, byte[] out, int at) {
        int bits = Float.floatToRawIntBits(v);
        int t = bits & (C_MIN - 1);
        int bq = (bits >>> (P - 1)) & 0xFF;
        int i = at;
        if (bits < 0) {
            out[i++] = '-';
        }
        if (bq != 0) {
            int mq = -Q_MIN + 1 - bq;
            int c = C_MIN | t;
            if (0 < mq && mq < P) {
                int f = c >> mq;
                if (f << mq == c) {
                    return layout(f, 0, out, i);
                }
            }
            return decimal(-mq, c, 0, out, i);
        }
        if (t != 0) {
            return t < C_TINY ? decimal(Q_MIN, 10 * t, -1, out, i) : decimal(Q_MIN, t, 0, out, i);
        }
        out[i++] = '0';
        out[i++] = '.';
        out[i++] = '0';
        return i;
    }

    /** The shortest decimal in the rounding interval of c 2^q (the closest of them, then the even one). */
    private static int decimal(int q, int c, int dk, byte[] out, int at) {
        int odd = c & 1;
        long cb = (long) c << 2;
        long cbr = cb + 2;
        long cbl;
        int k;
        if (c != C_MIN || q == Q_MIN) {
            cbl = cb - 2;
            k = K[q - Q_MIN];
        } else {
            cbl = cb - 1;
            k = K_IRREGULAR[q - Q_MIN];
        }
        int h = q + LOG2_POW10[k - K_MIN] + 33;
        long g = G[k - K_MIN];
        int vb = roundOdd(g, cb << h);
        int vbl = roundOdd(g, cbl << h);
        int vbr = roundOdd(g, cbr << h);
        int s = vb >> 2;
        if (s >= 100) {
            int sp10 = 10 * (s / 10);
            int tp10 = sp10 + 10;
            boolean upIn = vbl + odd <= sp10 << 2;
            boolean wpIn = (tp10 << 2) + odd <= vbr;
            if (upIn != wpIn) {
                return layout(upIn ? sp10 : tp10, k, out, at);
            }
        }
        int t = s + 1;
        boolean uIn = vbl + odd <= s << 2;
        boolean wIn = (t << 2) + odd <= vbr;
        if (uIn != wIn) {
            return layout(uIn ? s : t, k + dk, out, at);
        }
        int cmp = vb - ((s + t) << 1);
        return layout(cmp < 0 || cmp == 0 && (s & 1) == 0 ? s : t, k + dk, out, at);
    }

    /** g times cp, scaled down, rounded to odd: the low bit says whether anything was cut off. */
    private static int roundOdd(long g, long cp) {
        long x = Math.multiplyHigh(g, cp);
        long sticky = ((x & MASK_32) + MASK_32) >>> 32;
        return (int) ((x >>> 31) | sticky);
    }

    /** f 10^e as Float.toString lays it out: plain between 10^-3 and 10^7, else d.dddE±n; trailing zeros cut, one kept after the point. */
    private static int layout(int f, int e, byte[] out, int at) {
        int len = (32 - Integer.numberOfLeadingZeros(f)) * 1233 >>> 12;     // floor(log10) of f's top bit, then one up if f reaches it
        if (f >= POW10[len]) {
            len++;
        }
        int nine = f * POW10[9 - len];
        e += len;
        if (0 < e && e <= 7) {
            nineDigits(nine, out, at);
            for (int i = at + 8; i >= at + e; i--) {
                out[i + 1] = out[i];
            }
            out[at + e] = '.';
            return trimZeros(out, at + 10);
        }
        if (-3 < e && e <= 0) {
            out[at] = '0';
            out[at + 1] = '.';
            int first = at + 2 - e;
            for (int z = at + 2; z < first; z++) {
                out[z] = '0';
            }
            nineDigits(nine, out, first);
            return trimZeros(out, first + 9);
        }
        nineDigits(nine, out, at + 1);
        out[at] = out[at + 1];
        out[at + 1] = '.';
        int i = trimZeros(out, at + 10);
        out[i++] = 'E';
        int x = e - 1;
        if (x < 0) {
            out[i++] = '-';
            x = -x;
        }
        if (x >= 10) {
            out[i++] = (byte) ('0' + x / 10);
        }
        out[i++] = (byte) ('0' + x % 10);
        return i;
    }

    /** The nine digits of n (leading zeros kept) at at..at+8, two at a time. */
    private static void nineDigits(int n, byte[] out, int at) {
        int high = n / 10_000;
        int low = n - high * 10_000;
        out[at] = (byte) ('0' + high / 10_000);
        pair(high % 10_000 / 100, out, at + 1);
        pair(high % 100, out, at + 3);
        pair(low / 100, out, at + 5);
        pair(low % 100, out, at + 7);
    }

    private static void pair(int twoDigits, byte[] out, int at) {
        out[at] = PAIRS[2 * twoDigits];
        out[at + 1] = PAIRS[2 * twoDigits + 1];
    }

    /** Cuts trailing zeros after the point, keeping one digit after it. */
    private static int trimZeros(byte[] out, int end) {
        int i = end - 1;
        while (out[i] == '0') {
            i--;
        }
        if (out[i] == '.') {
            i++;
        }
        return i + 1;
    }

    private static int floorLog10(BigDecimal v) {
        return v.precision() - v.scale() - 1;
    }
}
