package dev.kiln.warmup;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The release in a JVM of its own (as it runs once in Kiln's, after startup): the test JVM's heap
 * holds whatever the other tests left, which decides how far a collection can shrink it.
 */
class StartupMemoryReleaseTest {

    private static final long MIB = 1 << 20;

    /** What starting leaves behind, here 256 MiB of touched and dropped arrays, is resident until the release. */
    @Test
    void garbageThatStartingLeftStopsBeingResident() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path"), Child.class.getName())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child JVM ended");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.exitValue(), out);
        String[] f = out.lines().reduce((a, b) -> b).orElse("").split(" ", 4);
        long before = Long.parseLong(f[0]);
        long after = Long.parseLong(f[1]);
        assertTrue(before - after >= 128 * MIB, out);
        assertTrue(f[3].contains("then glibc's free pages returned"), "a JDK 17.0.9+ on glibc trims its native heap: " + out);
    }

    /** Leaves 256 MiB of garbage and releases it; prints resident bytes before and after, the trim's own words, the message. */
    public static final class Child {
        public static void main(String[] args) {
            List<byte[]> garbage = new ArrayList<>();
            for (int i = 0; i < 128; i++) {
                byte[] chunk = new byte[(int) (2 * MIB)];
                Arrays.fill(chunk, (byte) 1);
                garbage.add(chunk);
            }
            System.out.println("made " + garbage.size() + " chunks");
            garbage = null;
            StartupMemoryRelease.Released r = StartupMemoryRelease.release(Runnable::run);
            System.out.println(r.beforeBytes() + " " + r.afterBytes() + " " + r.trim().isEmpty() + " " + r.message());
        }
    }
}
