package dev.kiln.routing;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Map.Entry;

/**
 * Turns a call into a point of [0, 1) and the point into a version. With a request id the point is
 * a hash of it, so a retry lands where the first try did; without one it is the next point of a
 * golden-ratio sequence, which spreads calls over the weights more evenly than chance would (90/10
 * over 2,000 calls lands within a call or two of 200, where chance wanders by ±13).
 */
final class TrafficShare {

    /** Steps of the two sequences: one picks the version, the other whether a call is shadowed. */
    static final double GOLDEN = 0.6180339887498949;
    static final double SILVER = 0.4142135623730951;

    private TrafficShare() {
    }

    /** A point fixed by the id (FNV-1a over its UTF-8 bytes, then SplitMix64's finaliser so close ids land far apart). */
    static double of(String model, String requestId) {
        long h = 0xcbf29ce484222325L;
        for (byte b : (model + '\0' + requestId).getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return unit(mix(h));
    }

    /** The n-th point of the sequence of this step (an irrational fraction: the points never repeat and fill [0, 1) evenly). */
    static double sequence(long n, double step) {
        double x = n * step;
        return x - Math.floor(x);
    }

    /** The version whose share of the weights holds the point (weights in their order, each above 0). */
    static int pick(Map<Integer, Integer> weights, double point) {
        long total = weights.values().stream().mapToLong(Integer::longValue).sum();
        double at = point * total;
        long seen = 0;
        int last = -1;
        for (Entry<Integer, Integer> e : weights.entrySet()) {
            seen += e.getValue();
            last = e.getKey();
            if (at < seen) {
                return last;
            }
        }
        return last;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private static double unit(long h) {
        return (h >>> 11) * 0x1.0p-53;
    }
}
