package dev.kiln.inference;

/**
 * What a session's lone requests take, reading, run and answer, and how large they are, on the wire
 * and in tensor values: from these the cost of the next request is foreseen, to decide whether it
 * may run on the event loop that received it. Wrong one way costs a thread hand-off; wrong the other
 * way holds an event loop, so the estimate rises at once with a slow request and comes down slowly.
 */
final class RunCost {

    /** A faster request moves the estimate down by an eighth of the difference. */
    private static final int WEIGHT = 8;

    private long nanos;
    private long bytes;
    private long elements;

    synchronized void add(long requestNanos, long wireBytes, long values) {
        if (requestNanos <= 0 || wireBytes <= 0 || values <= 0) {
            return;
        }
        if (nanos == 0) {
            nanos = requestNanos;
            bytes = wireBytes;
            elements = values;
            return;
        }
        bytes += (wireBytes - bytes) / WEIGHT;
        elements += (values - elements) / WEIGHT;
        // A request with more values than the average counts as what one of the average would take; one
        // with fewer counts whole (its fixed costs do not shrink with it). A model whose time does not
        // follow its input (a loop count as an input) shows as slow at once.
        long atAverage = values <= elements ? requestNanos : (long) (requestNanos * ((double) elements / values));
        nanos = atAverage >= nanos ? atAverage : nanos + (atAverage - nanos) / WEIGHT;
    }

    /**
     * Before reading: the nanoseconds a request this large on the wire is foreseen to take (scaled up
     * in proportion when it is larger than the average one, never down); -1 when nothing tells. It
     * bounds what reading costs; the body's size says little about the run (padding is free).
     */
    synchronized long foresee(long wireBytes) {
        return scaled(wireBytes, bytes);
    }

    /** Once read: the same from the request's tensor values, which is what its run grows with. */
    synchronized long foreseeRun(long values) {
        return scaled(values, elements);
    }

    private long scaled(long size, long average) {
        if (nanos == 0 || size <= 0) {
            return -1;
        }
        return size <= average ? nanos : (long) Math.min(Long.MAX_VALUE, nanos * ((double) size / average));
    }
}
