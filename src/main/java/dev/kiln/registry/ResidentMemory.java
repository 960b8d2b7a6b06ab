package dev.kiln.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's resident set size, as the kernel counts it (what an OOM-killer and a cgroup limit see). */
public final class ResidentMemory {

    private static final Path STATUS = Path.of("/proc/self/status");

    private ResidentMemory() {
    }

    /** Bytes resident now, or -1 where /proc is not there. */
    public static long bytes() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) * 1024L;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Not Linux: no measurement, the estimate stands.
        }
        return -1;
    }
}
