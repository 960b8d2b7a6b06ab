package dev.kiln.runtime;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Cheap evidence that an NVIDIA GPU may be here. Asking ONNX Runtime for CUDA costs ~2 s and
 * unpacks a 369 MB library, so that probe only runs when one of these signs is present. The
 * evidence and the reason name things, not paths: they are shown to callers without the token,
 * whose answers have paths taken out (the admin page read "&lt;path&gt;, &lt;path&gt; ... are all absent").
 */
public record GpuPresence(boolean plausible, List<String> evidence, String missing) {

    private static final String DRIVER_DIR = "/proc/driver/nvidia";
    private static final String DEVICE = "/dev/nvidia0";

    public static GpuPresence detect() {
        List<String> evidence = new ArrayList<>();
        if (Files.isDirectory(Path.of(DRIVER_DIR))) {
            evidence.add("the NVIDIA kernel driver");
        }
        if (Files.exists(Path.of(DEVICE))) {
            evidence.add("device nvidia0");
        }
        findOnPath("nvidia-smi").ifPresent(p -> evidence.add("nvidia-smi"));
        String missing = evidence.isEmpty()
                ? "no NVIDIA GPU found: no NVIDIA kernel driver is loaded, there is no nvidia0 device and no nvidia-smi on the PATH"
                : null;
        return new GpuPresence(!evidence.isEmpty(), List.copyOf(evidence), missing);
    }

    static java.util.Optional<String> findOnPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return java.util.Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) {
                return java.util.Optional.of(candidate.toString());
            }
        }
        return java.util.Optional.empty();
    }
}
