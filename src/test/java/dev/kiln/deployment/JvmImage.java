package dev.kiln.deployment;

import dev.kiln.testing.Processes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The JVM image as a user builds it: {@code deployment/Dockerfile.jvm} from the repository root,
 * by podman, once per test JVM. Its bases are the local stand-ins that
 * {@code scripts/stand-in-base-images.sh} makes from Debian's packages (made here when missing),
 * unless {@code -Dkiln.image.build-base} and {@code -Dkiln.image.runtime-base} name others.
 * Maven's downloads inside the build stay in podman's build cache between builds.
 */
final class JvmImage {

    static final String NAME = "localhost/kiln:it";
    static final String STAND_INS = "localhost/kiln-stand-in/";
    static final String BUILD_BASE = System.getProperty("kiln.image.build-base", STAND_INS + "jdk:25");
    static final String RUNTIME_BASE = System.getProperty("kiln.image.runtime-base", STAND_INS + "jre:25");
    static final Path LOG = Path.of("target/jvm-image-build.log");

    private static boolean built;

    private JvmImage() {
    }

    static synchronized String build() throws Exception {
        if (built) {
            return NAME;
        }
        makeStandInsIfMissing();
        long start = System.nanoTime();
        Processes.Result r = Podman.run(TimeUnit.MINUTES.toSeconds(45), "build", "--format", "docker",
                "-f", "deployment/Dockerfile.jvm", "--build-arg", "BUILD_IMAGE=" + BUILD_BASE,
                "--build-arg", "RUNTIME_IMAGE=" + RUNTIME_BASE, "-t", NAME, ".");
        Files.writeString(LOG, r.output());
        assertEquals(0, r.exitCode(), "podman build of deployment/Dockerfile.jvm failed; see " + LOG + ":\n" + tail(r.output()));
        System.out.printf("JVM image %s built in %d s (%s)%n", NAME, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start),
                Podman.ok("image", "inspect", "--format", "{{.Size}} bytes", NAME));
        built = true;
        return NAME;
    }

    private static void makeStandInsIfMissing() throws Exception {
        for (String base : List.of(BUILD_BASE, RUNTIME_BASE)) {
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
