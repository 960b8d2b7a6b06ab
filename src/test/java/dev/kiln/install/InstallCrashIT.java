package dev.kiln.install;

import dev.kiln.testing.ModelServer.Mode;
import dev.kiln.testing.ModelServer;
import dev.kiln.testing.PackagedKiln;
import dev.kiln.testing.Processes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 of the packaged jar in the middle of an install, then a restart: every model is either
 * fully present or absent, and no temporary file survives.
 */
class InstallCrashIT {

    private static final String TOKEN = "crash-test";
    private final HttpClient http = HttpClient.newHttpClient();
    private Process kiln;
    private ModelServer server;

    @AfterEach
    void stop() {
        if (kiln != null) {
            kiln.destroyForcibly();
        }
        if (server != null) {
            server.close();
        }
    }

    private Process start(Path repo, int port) throws Exception {
        return PackagedKiln.start(repo, port, Map.of("ai.models.admin-token", TOKEN, "ai.models.install.allow-http", "true",
                "ai.models.install.allow-private-networks", "true"), List.of()).process;
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(int port, String path, String json) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> leftovers(Path repo) throws Exception {
        try (Stream<Path> all = Files.walk(repo)) {
            return all.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".kiln-tmp-") || n.startsWith(".kiln-replaced-")).toList();
        }
    }

    @Test
    void killDuringAnInstallThenRestart() throws Exception {
        Path repo = Files.createTempDirectory("kiln-crash");
        Path cls = Files.createDirectories(repo.resolve("ppocr-cls"));
        Files.copy(Path.of("target/demo-models/ppocr-cls/model.onnx"), cls.resolve("model.onnx"));
        Files.copy(Path.of("target/demo-models/ppocr-cls/model.yaml"), cls.resolve("model.yaml"));
        byte[] big = Files.readAllBytes(Path.of("target/demo-models/ppocr-v4-rec/model.onnx"));
        server = new ModelServer();
        String slow = server.serve("/rec.onnx", big, Mode.SLOW);
        int port = Processes.freePort();

        kiln = start(repo, port);
        HttpResponse<String> accepted = post(port, "/api/v1/setup/ai-models/install",
                "{\"name\": \"rec-copy\", \"url\": \"" + slow + "\", \"category\": \"image\"}");
        assertEquals(202, accepted.statusCode(), accepted.body());
        long deadline = System.currentTimeMillis() + 30_000;
        while (leftovers(repo).isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        Thread.sleep(1000);
        assertTrue(leftovers(repo).stream().anyMatch(n -> n.startsWith(".kiln-tmp-install-")), "download under way in staging");
        assertTrue(get(port, "/api/v1/setup/ai-models/install/jobs").body().contains("\"status\":\"downloading\""));

        kiln.destroyForcibly();                              // SIGKILL: no shutdown hook runs
        assertTrue(kiln.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(137, kiln.exitValue(), "killed by SIGKILL");
        assertFalse(leftovers(repo).isEmpty(), "the crash left its staging directory");

        kiln = start(repo, port);
        assertEquals(List.of(), leftovers(repo), "startup removed every temporary file");
        assertFalse(Files.exists(repo.resolve("rec-copy")), "the half-installed model is absent");
        assertEquals(404, get(port, "/v2/models/rec-copy/ready").statusCode());
        assertEquals(200, get(port, "/v2/models/ppocr-cls/ready").statusCode(), "the other model is whole and serving");

        String fast = server.serve("/rec-fast.onnx", big, Mode.NORMAL);
        HttpResponse<String> again = post(port, "/api/v1/setup/ai-models/install?wait=true",
                "{\"name\": \"rec-copy\", \"url\": \"" + fast + "\", \"category\": \"image\", \"sha256\": \"" + ModelServer.sha256(big) + "\"}");
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(200, get(port, "/v2/models/rec-copy/ready").statusCode());
    }
}
