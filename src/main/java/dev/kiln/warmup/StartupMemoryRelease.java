package dev.kiln.warmup;

import dev.kiln.registry.ResidentMemory;

import javax.management.JMException;
import javax.management.ObjectName;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.Executor;

/**
 * Gives back, once the startup warm-up and its rehearsals are over, the memory that starting took
 * and nothing keeps: the heap's garbage (a collection, after which G1 shrinks the heap to what is
 * live) and glibc's free pages (the JVM's System.trim_native_heap: what the JIT's arenas, the
 * configuration and the sessions' load buffers freed stays resident in malloc's arenas otherwise).
 * Measured on nine MiniLMs (README, "Startup"): 247–251 → 214–216 MiB lazy, 993–1,009 → 921–924 MiB
 * eager, for one full collection's pause (134–196 ms measured on a busy 2-core host). Where the JVM
 * has no such command (not glibc, an older JDK) only the collection runs; -XX:+DisableExplicitGC turns
 * the collection off. The collection and the trim run apart from the registry's measurements (what
 * they free is no model's size); the waits around them hold nothing.
 */
final class StartupMemoryRelease {

    /** Resident bytes before and after, what the trim said (empty when the JVM could not trim), the collection's time. */
    record Released(long beforeBytes, long afterBytes, String trim, long collectionMillis) {
        String message() {
            String then = trim.isEmpty() ? "" : ", then glibc's free pages returned";
            return "after startup: resident memory " + mib(beforeBytes) + " → " + mib(afterBytes)
                    + " (the heap collected in " + collectionMillis + " ms" + then + ")";
        }

        private static String mib(long bytes) {
            return bytes < 0 ? "?" : (bytes >> 20) + " MiB";
        }
    }

    private StartupMemoryRelease() {
    }

    /** Collects and trims, each through {@code apart} (which runs it at once, outside any measurement). */
    static Released release(Executor apart) {
        awaitQuietCompiler();
        long before = ResidentMemory.bytes();
        long[] collected = {0};
        apart.execute(() -> {
            long start = System.nanoTime();   // timed inside: apart may first wait for a model's load to be measured
            System.gc();
            collected[0] = (System.nanoTime() - start) / 1_000_000;
        });
        // The trim waits for what is freed after the pause: G1 uncommits the shrunk heap on a thread of its
        // own, and HotSpot hands the JIT's pooled arena chunks back to malloc only every 5 s. Measured here,
        // a trim a second after the collection gave back 3–6 MiB, one two seconds later 12–13 more.
        pause(6000);
        String[] trim = {""};
        apart.execute(() -> trim[0] = trimNativeHeap());
        return new Released(before, ResidentMemory.bytes(), trim[0], collected[0]);
    }

    /**
     * Waits until the JIT has compiled nothing for half a second (at most 15 s): the rehearsals leave
     * it a queue, and its arenas, freed when that is done, are a good part of what a trim returns.
     */
    private static void awaitQuietCompiler() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return;
        }
        long deadline = System.nanoTime() + 15_000_000_000L;
        long last = jit.getTotalCompilationTime();
        while (System.nanoTime() < deadline && pause(500)) {
            long now = jit.getTotalCompilationTime();
            if (now == last) {
                return;
            }
            last = now;
        }
    }

    /** False when interrupted (shutting down). */
    private static boolean pause(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The JVM's own diagnostic command, as `jcmd <pid> System.trim_native_heap` runs it (JDK 17.0.9+, glibc only). */
    private static String trimNativeHeap() {
        try {
            Object said = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "systemTrimNativeHeap", new Object[0], new String[0]);
            String text = said == null ? "" : said.toString().trim();
            return text.contains("Not available") ? "" : text;
        } catch (JMException | RuntimeException e) {
            return "";
        }
    }
}
