package dev.kiln.deployment;

import dev.kiln.testing.Processes;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The podman CLI that CI installs (.ci/run); a missing podman fails the test that needs it. */
final class Podman {

    private Podman() {
    }

    /** Runs {@code podman args...}; the exit code and the merged output. */
    static Processes.Result run(long timeoutSeconds, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("podman"));
        command.addAll(List.of(args));
        return Processes.run(command, null, timeoutSeconds);
    }

    /** Runs {@code podman args...} and requires exit 0; the output, trimmed. */
    static String ok(String... args) throws Exception {
        Processes.Result r = run(600, args);
        assertEquals(0, r.exitCode(), "podman " + String.join(" ", args) + ":\n" + r.output());
        return r.output().trim();
    }

    /** The host port podman published for a container port (published on 127.0.0.1 only). */
    static int hostPort(String container, int containerPort) throws Exception {
        String mapping = ok("port", container, containerPort + "/tcp");
        return Integer.parseInt(mapping.lines().findFirst().orElseThrow().replaceAll(".*:", ""));
    }

    /** Removes containers, ignoring those already gone. */
    static void removeContainers(String... names) {
        for (String name : names) {
            quietly("rm", "-f", "-t", "0", name);
        }
    }

    /** Removes volumes, ignoring those already gone. */
    static void removeVolumes(String... names) {
        for (String name : names) {
            quietly("volume", "rm", "-f", name);
        }
    }

    private static void quietly(String... args) {
        try {
            run(120, args);
        } catch (Exception ignored) {
            // best effort cleanup: the test's own assertions already said what went wrong
        }
    }
}
