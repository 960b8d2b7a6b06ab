package dev.kiln.errors;

import org.jboss.logging.Logger;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Whether a failure is the heap running out, wherever in its causes: a heap that ran out is a request
 * to retry (507), not a bug, and it reaches the edge wrapped by whatever layer it crossed (Vert.x,
 * CompletableFuture, RESTEasy), one level deep or more.
 */
public final class OutOfMemory {

    private static final Reports REPORTS = new Reports(TimeUnit.SECONDS.toNanos(10));

    private OutOfMemory() {
    }

    /**
     * Says in the log that a request was answered 507 because the heap or direct memory ran out: an
     * attack found fourteen concurrent OCR requests answered so, with "Cannot reserve 212000 bytes of
     * direct buffer memory", and not a line for the operator. At most one line every ten seconds, with
     * the count of those not logged since, so a flood cannot fill the log.
     */
    public static void report(String what, OutOfMemoryError oom) {
        REPORTS.report(what, oom);
    }

    /** The lines of {@link #report}: one every {@code quietNanos} at most, with the count of the others. */
    static final class Reports {
        private static final Logger LOG = Logger.getLogger(OutOfMemory.class);
        private final long quietNanos;
        private final AtomicLong lastLine;
        private final AtomicInteger unlogged = new AtomicInteger();

        Reports(long quietNanos) {
            this.quietNanos = quietNanos;
            this.lastLine = new AtomicLong(System.nanoTime() - 2 * quietNanos);
        }

        void report(String what, OutOfMemoryError oom) {
            unlogged.incrementAndGet();
            long now = System.nanoTime();
            long last = lastLine.get();
            if (now - last >= quietNanos && lastLine.compareAndSet(last, now)) {
                int n = unlogged.getAndSet(0);
                LOG.warnf("%s ran out of memory (%s) and was answered 507%s; memory: README, \"Model lifecycle and memory\"", what,
                        oom.getMessage(), n > 1 ? " (with " + (n - 1) + " more since the last such line)" : "");
            }
        }
    }

    /** The OutOfMemoryError among the failure's causes (itself included), or null. */
    public static OutOfMemoryError find(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof OutOfMemoryError oom) {
                return oom;
            }
        }
        return null;
    }
}
