package dev.kiln.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** Runs the real tools CI installs (promtool, prometheus, bash scripts); a missing tool fails the test. */
public final class Processes {

    private Processes() {
    }

    public record Result(int exitCode, String output) {
    }

    public static Result run(List<String> command, String stdin, long timeoutSeconds, String... env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        for (int i = 0; i + 1 < env.length; i += 2) {
            pb.environment().put(env[i], env[i + 1]);
        }
        Process p = pb.start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish in " + timeoutSeconds + " s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    public static int freePort() throws IOException {
        for (int tries = 0; tries < 100; tries++) {
            try (ServerSocket s = new ServerSocket(0)) {
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            }
        }
        throw new IOException("no free port that was not handed out before, in 100 tries");
    }

    /**
     * Ports given to a test stay taken for this JVM: a port is free again as soon as its probe socket
     * closes, so FleetIT once got one replica's HTTP port as another's gRPC port before either bound it.
     */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();
}
