package dev.kiln.warmup;

import dev.kiln.testing.PackagedKiln;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A second Kiln started on a port that is taken (an operator's typo, a pod restarted too soon)
 * must fail cleanly: exit code 1 and the reason in the log. It used to start the eager warm-up at
 * StartupEvent, before the port was bound, and the JVM's exit then tore ONNX Runtime down under a
 * running session: a SIGSEGV (exit 134 and an hs_err file) about one start in six. The warm-up now
 * waits for the bound port, so a start that fails never touches a model.
 */
class PortTakenIT {

    @Test
    void aStartOnATakenPortExitsWithItsReasonAndNeverLoadsAModel() throws Exception {
        Path repo = PackagedKiln.copyOfDemoRepository("port-taken-models");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("0.0.0.0"))) {
            for (int attempt = 0; attempt < 3; attempt++) {
                Process p = PackagedKiln.launch(repo, taken.getLocalPort(), Map.of("ai.models.lazy-load", "false"), List.of());
                assertTrue(p.waitFor(90, TimeUnit.SECONDS), "the process ended");
                String log = Files.readString(PackagedKiln.log(taken.getLocalPort()));
                assertEquals(1, p.exitValue(), "exit code 1, not a crash (134): " + tail(log));
                assertTrue(log.contains("Port " + taken.getLocalPort() + " seems to be in use"), "the reason is in the log: " + tail(log));
                assertFalse(log.contains("SIGSEGV"), "no native crash");
                assertFalse(log.matches("(?s).*\\bloaded \\S+ on .*"), "no model was loaded before the start failed: " + tail(log));
                assertFalse(Files.exists(Path.of("hs_err_pid" + p.pid() + ".log")), "no JVM crash report");
            }
        }
    }

    private static String tail(String log) {
        return log.length() > 3000 ? log.substring(log.length() - 3000) : log;
    }
}
