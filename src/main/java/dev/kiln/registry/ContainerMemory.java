package dev.kiln.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How much memory this process may use: the container's cgroup limit (v2 {@code memory.max}, v1
 * {@code memory.limit_in_bytes}), or the machine's memory when there is no limit.
 */
public record ContainerMemory(long bytes, String source) {

    private static final long UNLIMITED_V1 = 1L << 60;

    public static ContainerMemory detect() {
        return cgroup(Path.of("/sys/fs/cgroup/memory.max"), "cgroup v2 memory.max")
                .or(() -> cgroup(Path.of("/sys/fs/cgroup/memory/memory.limit_in_bytes"), "cgroup v1 memory.limit_in_bytes"))
                .orElseGet(ContainerMemory::physical);
    }

    private static Optional<ContainerMemory> cgroup(Path file, String source) {
        try {
            String v = Files.readString(file).trim();
            if (v.equals("max")) {
                return Optional.empty();
            }
            long limit = Long.parseLong(v);
            return limit <= 0 || limit >= UNLIMITED_V1 ? Optional.empty() : Optional.of(new ContainerMemory(limit, source));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static ContainerMemory physical() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return new ContainerMemory(Long.parseLong(line.replaceAll("\\D+", "")) * 1024L, "physical memory (no cgroup limit)");
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Not Linux: fall back to what the JVM was told the machine has.
        }
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return new ContainerMemory(os.getTotalMemorySize(), "physical memory (JVM)");
    }
}
