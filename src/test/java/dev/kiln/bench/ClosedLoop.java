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
 * scripts do, so bench/*.sh read every source the same way, and on a CPU line the CPU time this whole
 * process spent per call while it was measured (bench/cpu.sh reads it; the others take only KILN lines).
 */
final class ClosedLoop {

    interface Call {
        void run() throws Exception;
    }

    private ClosedLoop() {
    }

    /** {@code failure}: the exception type that counts as a refused call rather than a broken benchmark. */
    static void measure(int clients, int seconds, Call call, Class<? extends Exception> failure) throws Exception {
        long cpu0 = processCpuNanos();
        Result r = run(clients, seconds, call, failure);
        long cpu = processCpuNanos() - cpu0;
        System.out.println(r.line());
        System.out.printf("CPU ms_per_call=%.3f%n", r.done() == 0 ? 0 : cpu / 1e6 / r.done());
    }

    /** The CPU time of every thread of this process so far (JIT and GC included, as for a server). */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /**
     * Runs the loop unmeasured first: a client in a JVM of its own compiles its HTTP/2 and protobuf
     * code while it runs, on the same two cores as the server, unlike wrk (C) and the in-process loop
     * (warmed before it is timed). Without this the client's JIT is measured as the server's cost.
     */
    static void warm(int clients, int seconds, Call call, Class<? extends Exception> failure) throws Exception {
        run(clients, seconds, call, failure);
    }

    private record Result(List<Long> latencies, long done, long failed, int seconds) {
        String line() {
            return String.format("KILN p50_ms=%.3f rps=%.1f non200=%d", latencies.isEmpty() ? 0 : latencies.get(latencies.size() / 2) / 1e6,
                    done / (double) seconds, failed);
        }
    }

    private static Result run(int clients, int seconds, Call call, Class<? extends Exception> failure) throws Exception {
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
        return new Result(latencies, done.get(), failed.get(), seconds);
    }
}
