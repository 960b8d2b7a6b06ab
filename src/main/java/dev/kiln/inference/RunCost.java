package dev.kiln.inference;

/**
 * What a session's lone requests take, reading, run and answer, and how large they are on the wire:
 * from these the cost of the next request of a given size is foreseen, to decide whether it may run
 * on the event loop that received it. Wrong one way costs a thread hand-off; wrong the other way
 * holds an event loop, so the estimate rises at once with a slow request and comes down slowly.
 */
final class RunCost {

    /** A faster request moves the estimate down by an eighth of the difference. */
    private static final int WEIGHT = 8;

    private long nanos;
    private long bytes;

    synchronized void add(long requestNanos, long wireBytes) {
        if (requestNanos <= 0 || wireBytes <= 0) {
            return;
        }
        if (nanos == 0) {
            nanos = requestNanos;
            bytes = wireBytes;
            return;
        }
        bytes += (wireBytes - bytes) / WEIGHT;
        // A larger request's time counts as what a request of the average size would take; a smaller
        // one's counts whole (its fixed costs do not shrink with it). A model whose time does not follow
        // its input's size (a loop count as an input) shows as slow at once.
        long atAverageSize = wireBytes <= bytes ? requestNanos : (long) (requestNanos * ((double) bytes / wireBytes));
        nanos = atAverageSize >= nanos ? atAverageSize : nanos + (atAverageSize - nanos) / WEIGHT;
    }

    /**
     * The nanoseconds a request of this size is foreseen to take: the estimate, scaled up in
     * proportion when the request is larger than the average one (never down); -1 when nothing tells.
     */
    synchronized long foresee(long wireBytes) {
        if (nanos == 0 || wireBytes <= 0) {
            return -1;
        }
        return wireBytes <= bytes ? nanos : (long) Math.min(Long.MAX_VALUE, nanos * ((double) wireBytes / bytes));
    }
}
