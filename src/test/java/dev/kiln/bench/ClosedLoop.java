package dev.kiln.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The in-JVM load generator of the benchmarks: {@code clients} threads each call the task back to back
 * for {@code seconds}; prints p50 (ms), calls per second and failures on one KILN line, as the wrk
 * scripts do, so bench/*.sh read every source the same way.
 */
final class ClosedLoop {

    interface Call {
        void run() throws Exception;
    }

    private ClosedLoop() {
    }

    /** {@code failure}: the exception type that counts as a refused call rather than a broken benchmark. */
    static void measure(int clients, int seconds, Call call, Class<? extends Exception> failure) throws Exception {
        System.out.println(summary(clients, seconds, call, failure));
    }

    /**
     * Runs the loop unmeasured first: a client in a JVM of its own compiles its HTTP/2 and protobuf
     * code while it runs, on the same two cores as the server, unlike wrk (C) and the in-process loop
     * (warmed before it is timed). Without this the client's JIT is measured as the server's cost.
     */
    static void warm(int clients, int seconds, Call call, Class<? extends Exception> failure) throws Exception {
        summary(clients, seconds, call, failure);
    }

    private static String summary(int clients, int seconds, Call call, Class<? extends Exception> failure) throws Exception {
        AtomicLong done = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<List<Long>>> work = new ArrayList<>();
        for (int t = 0; t < clients; t++) {
            work.add(pool.submit(() -> {
                List<Long> mine = new ArrayList<>();
                while (System.nanoTime() < end) {
                    long t0 = System.nanoTime();
                    try {
                        call.run();
                        long t1 = System.nanoTime();
                        // a call that ends after the deadline is dropped, as wrk and h2load drop theirs
                        if (t1 <= end) {
                            mine.add(t1 - t0);
                            done.incrementAndGet();
                        }
                    } catch (Exception e) {
                        if (failure == null || !failure.isInstance(e)) {
                            throw e;
                        }
                        failed.incrementAndGet();
                    }
                }
                return mine;
            }));
        }
        List<Long> latencies = new ArrayList<>();
        for (Future<List<Long>> f : work) {
            latencies.addAll(f.get());
        }
        pool.shutdown();
        latencies.sort(Long::compare);
        return String.format("KILN p50_ms=%.3f rps=%.1f non200=%d", latencies.isEmpty() ? 0 : latencies.get(latencies.size() / 2) / 1e6,
                done.get() / (double) seconds, failed.get());
    }
}
