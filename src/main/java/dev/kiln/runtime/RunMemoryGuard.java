package dev.kiln.runtime;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.jboss.logging.Logger;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Keeps ONNX Runtime's runs from taking the process past its container's memory limit. A run's
 * working memory is not known before it runs (one request inside a model's input limits took the
 * fp32 MiniLM from 0.15 to 2 GB, and a 2 GiB pod was killed by the kernel with every request in
 * flight), so the process's resident memory is watched while runs go, and when it passes the
 * ceiling every run still going is told to stop: ONNX Runtime ends each before its next operator
 * and its caller gets 507 (a short run loses little; stopping only the largest let a second large
 * run take a 3 GiB pod past its limit). Each run still ends the operator it is in: the room above
 * the ceiling is for one operator's output per run going.
 * <p>
 * The watch polls only while runs are in flight, and the further the process is from its ceiling
 * the less often (memory grows at a few GB/s at most). It also stops a run whose every caller has
 * gone (a closed connection, a cancelled RPC): three clients that gave up after 3 s on 64 x 512 tokens
 * each left their runs taking 3.5 GB until the ceiling stopped them.
 */
public final class RunMemoryGuard {

    private static final Logger LOG = Logger.getLogger(RunMemoryGuard.class);
    /** An assumed bound on how fast a run grows the process: 5 GB/s (the fastest seen here, about 1.1 GB/s, with room). */
    private static final long BYTES_PER_MILLI = 5_000_000L;
    private static final long MIN_POLL_MILLIS = 2;
    private static final long MAX_POLL_MILLIS = 50;

    private static final String MEMORY = "memory";
    private static final String ABANDONED = "abandoned";

    private final long ceiling;
    private final String source;
    private final LongSupplier resident;
    private final Set<Watch> running = ConcurrentHashMap.newKeySet();
    private volatile Thread watcher;
    /** True while the watcher waits for a run with no deadline: only then does a new run wake it. */
    private volatile boolean idle = true;
    private volatile long lastResident = -1;
    private volatile long lastReadAt;
    private volatile long lastRunSeenAt;

    /**
     * @param ceiling  resident bytes beyond which runs are stopped; 0 or less: never
     * @param source   how the ceiling was set, for messages
     * @param resident the process's resident bytes now (-1 when not known)
     */
    public RunMemoryGuard(long ceiling, String source, LongSupplier resident) {
        this.ceiling = ceiling;
        this.source = source;
        this.resident = resident;
    }

    /**
     * Watches one run from before it starts until {@link Watch#close()}; pass its {@link Watch#options()}
     * to the run. {@code abandoned} says whether every caller of the run has gone.
     */
    public Watch watch(String model, long inputElements, BooleanSupplier abandoned) throws OrtException {
        // The watch's own reading, when it is at most one poll old, saves a read per run.
        long before = System.nanoTime() - lastReadAt < TimeUnit.MILLISECONDS.toNanos(MAX_POLL_MILLIS) && lastResident >= 0
                ? lastResident : resident.getAsLong();
        Watch w = new Watch(model, inputElements, before, abandoned);
        if (ceiling > 0 && before >= ceiling) {
            // Already past it (a ceiling set below what Kiln takes at rest): every run is refused alike.
            w.stop(MEMORY, before);
        }
        running.add(w);
        if (idle) {
            wake();
        }
        return w;
    }

    /** One run under watch; closing it ends the watch and frees its native options. */
    public final class Watch implements AutoCloseable {
        private final String model;
        private final long inputElements;
        private final long residentBefore;
        private final BooleanSupplier abandoned;
        private final long started = System.nanoTime();
        private final OrtSession.RunOptions options;
        /** The highest resident memory the watch read while this run went. */
        private volatile long peak;
        private boolean closed;
        private String stoppedFor;
        private long stoppedAt = -1;

        private Watch(String model, long inputElements, long residentBefore, BooleanSupplier abandoned) throws OrtException {
            this.model = model;
            this.inputElements = inputElements;
            this.residentBefore = residentBefore;
            this.abandoned = abandoned;
            this.peak = residentBefore;
            this.options = new OrtSession.RunOptions();
        }

        public OrtSession.RunOptions options() {
            return options;
        }

        /** Whether the guard stopped this run at the memory ceiling. */
        public synchronized boolean stopped() {
            return MEMORY.equals(stoppedFor);
        }

        /** Whether the guard stopped this run because its callers had gone. */
        public synchronized boolean abandoned() {
            return ABANDONED.equals(stoppedFor);
        }

        /**
         * What the process grew by from before the run until now: 0 when not measured, and not
         * measured for a run shorter than it would take to grow by {@code atLeast} (reading costs 12 µs).
         */
        public long grownBy(long atLeast) {
            if (System.nanoTime() - started < TimeUnit.MILLISECONDS.toNanos(atLeast / BYTES_PER_MILLI)) {
                return 0;
            }
            long now = Math.max(peak, resident.getAsLong());
            return residentBefore < 0 || now < 0 ? 0 : Math.max(0, now - residentBefore);
        }

        /** The caller's answer to a run this guard stopped. */
        public String reason() {
            return "the run of '" + model + "' was stopped: Kiln's memory reached " + mib(stoppedAt) + " MiB, its ceiling is "
                    + mib(ceiling) + " MiB (" + source + "); send fewer or shorter inputs, or retry when fewer requests are running";
        }

        private synchronized boolean stop(String why, long residentNow) {
            if (closed || stoppedFor != null) {
                return false;
            }
            try {
                options.setTerminate(true);
                stoppedFor = why;
                stoppedAt = residentNow;
                return true;
            } catch (OrtException e) {
                LOG.warnf("could not stop a run of %s: %s", model, e.getMessage());
                return false;
            }
        }

        @Override
        public void close() {
            running.remove(this);
            synchronized (this) {
                // The watcher may be about to stop this run: its options are freed only under the same lock.
                closed = true;
                options.close();
            }
        }
    }

    private void wake() {
        Thread t = watcher;
        if (t == null) {
            synchronized (this) {
                if (watcher == null) {
                    t = new Thread(this::watchLoop, "kiln-memory-watch");
                    t.setDaemon(true);
                    watcher = t;
                    t.start();
                    return;
                }
                t = watcher;
            }
        }
        LockSupport.unpark(t);
    }

    /**
     * Polls while runs come (a second after the last, so steady traffic of short runs costs one read
     * each 50 ms, not one a run), then waits for the next run with no deadline.
     */
    private void watchLoop() {
        while (!Thread.currentThread().isInterrupted()) {
            if (running.isEmpty()) {
                if (System.nanoTime() - lastRunSeenAt > TimeUnit.SECONDS.toNanos(1)) {
                    idle = true;
                    if (running.isEmpty()) {
                        LockSupport.park(this);
                    }
                    idle = false;
                } else {
                    LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(MAX_POLL_MILLIS));
                }
                continue;
            }
            long millis = MAX_POLL_MILLIS;
            try {
                millis = poll();
            } catch (RuntimeException e) {
                // The watch must outlive anything one run's callers throw at it.
                LOG.warnf("the run watch: %s", e);
            }
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(millis));
        }
    }

    /** One look at the runs going; returns how long until the next. */
    private long poll() {
        lastRunSeenAt = System.nanoTime();
        long now = resident.getAsLong();
        lastResident = now;
        lastReadAt = System.nanoTime();
        if (now < 0) {
            return MAX_POLL_MILLIS;
        }
        for (Watch w : running) {
            w.peak = Math.max(w.peak, now);
            if (w.abandoned.getAsBoolean() && w.stop(ABANDONED, now)) {
                LOG.debugf("stopped a run of %s: its callers have gone", w.model);
            }
        }
        if (ceiling > 0 && now >= ceiling) {
            stopAll(now);
        }
        long room = ceiling > 0 ? Math.max(0, ceiling - now) : Long.MAX_VALUE;
        return Math.min(MAX_POLL_MILLIS, Math.max(MIN_POLL_MILLIS, room / BYTES_PER_MILLI / 2));
    }

    private void stopAll(long now) {
        for (Watch w : running) {
            if (w.stop(MEMORY, now)) {
                LOG.warnf("stopped a run of %s (%d input elements): resident memory %d MiB reached the ceiling of %d MiB (%s)",
                        w.model, w.inputElements, mib(now), mib(ceiling), source);
            }
        }
    }

    private static long mib(long bytes) {
        return bytes >> 20;
    }
}
