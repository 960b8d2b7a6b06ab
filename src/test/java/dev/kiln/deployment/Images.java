package dev.kiln.deployment;

import dev.kiln.testing.Processes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The images as a user builds them: {@code deployment/Dockerfile.*} from the repository root, by
 * podman, each once per test JVM. Their bases are the local stand-ins that
 * {@code scripts/stand-in-base-images.sh} makes from Debian's packages (made here when missing),
 * unless {@code -Dkiln.image.build-base}, {@code -Dkiln.image.runtime-base} and
 * {@code -Dkiln.image.cuda-base} name others. Maven's downloads inside the builds stay in podman's
 * build cache between builds.
 */
final class Images {

    static final String STAND_INS = "localhost/kiln-stand-in/";
    static final String BUILD_BASE = System.getProperty("kiln.image.build-base", STAND_INS + "jdk:25");
    static final String RUNTIME_BASE = System.getProperty("kiln.image.runtime-base", STAND_INS + "jre:25");
    static final String CUDA_BASE = System.getProperty("kiln.image.cuda-base", STAND_INS + "debian:trixie");

    private static final Set<String> BUILT = new HashSet<>();

    private Images() {
    }

    /** The JVM image (deployment/Dockerfile.jvm). */
    static String jvm() throws Exception {
        return build("deployment/Dockerfile.jvm", "localhost/kiln:it", Map.of("BUILD_IMAGE", BUILD_BASE, "RUNTIME_IMAGE", RUNTIME_BASE));
    }

    /** The GPU image (deployment/Dockerfile.gpu), here on a Debian base without CUDA. */
    static String gpu() throws Exception {
        return build("deployment/Dockerfile.gpu", "localhost/kiln:it-gpu", Map.of("BUILD_IMAGE", BUILD_BASE, "CUDA_IMAGE", CUDA_BASE));
    }

    private static synchronized String build(String dockerfile, String tag, Map<String, String> bases) throws Exception {
        if (BUILT.contains(tag)) {
            return tag;
        }
        makeStandInsIfMissing(bases.values());
        List<String> args = new ArrayList<>(List.of("build", "--format", "docker", "-f", dockerfile));
        bases.forEach((k, v) -> args.addAll(List.of("--build-arg", k + "=" + v)));
        args.addAll(List.of("-t", tag, "."));
        long start = System.nanoTime();
        Processes.Result r = Podman.run(TimeUnit.MINUTES.toSeconds(45), args.toArray(String[]::new));
        Path log = Path.of("target", tag.replaceAll("[^a-z0-9]+", "-") + "-build.log");
        Files.writeString(log, r.output());
        assertEquals(0, r.exitCode(), "podman build of " + dockerfile + " failed; see " + log + ":\n" + tail(r.output()));
        System.out.printf("%s (%s) built in %d s, %s bytes%n", tag, dockerfile, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start),
                Podman.ok("image", "inspect", "--format", "{{.Size}}", tag));
        BUILT.add(tag);
        return tag;
    }

    private static void makeStandInsIfMissing(Iterable<String> bases) throws Exception {
        for (String base : bases) {
            if (base.startsWith(STAND_INS) && Podman.run(60, "image", "exists", base).exitCode() != 0) {
                Processes.Result made = Processes.run(List.of("bash", "scripts/stand-in-base-images.sh"), null,
                        TimeUnit.MINUTES.toSeconds(20));
                assertEquals(0, made.exitCode(), "scripts/stand-in-base-images.sh:\n" + tail(made.output()));
                return;
            }
        }
    }

    static String tail(String output) {
        List<String> lines = output.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
