package dev.kiln.telemetry;

import java.util.Arrays;

/**
 * The latencies of a version's latest successful requests (at most {@link #CAPACITY}), kept exactly:
 * a canary is judged on how it serves now, not on Prometheus buckets (5 ms, 10 ms, 25 ms ...) too
 * coarse to tell 12 ms from 20 ms, nor on everything since it started.
 */
final class RecentLatencies {

    static final int CAPACITY = 1024;
    private final long[] nanos = new long[CAPACITY];
    private int next;
    private int size;

    synchronized void add(long value) {
        nanos[next] = value;
        next = (next + 1) % CAPACITY;
        size = Math.min(CAPACITY, size + 1);
    }

    synchronized int size() {
        return size;
    }

    /** The 95th percentile (nearest rank) in milliseconds; null without samples. */
    Double p95Millis() {
        long[] copy;
        synchronized (this) {
            if (size == 0) {
                return null;
            }
            copy = Arrays.copyOf(nanos, size);
        }
        Arrays.sort(copy);
        int rank = (int) Math.ceil(0.95 * copy.length) - 1;
        return Math.round(copy[Math.max(0, rank)] / 1e4) / 100.0;
    }
}
