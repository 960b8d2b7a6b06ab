package dev.kiln.deployment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.testing.V2;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GPU image, built with {@code deployment/Dockerfile.gpu} on a base without CUDA (this machine
 * has no GPU and reaches no registry), run as the GPU overlay's container runs it (cuda,cpu): it
 * starts, serves on the CPU, and says why CUDA was passed over, per model and per engine.
 */
class GpuImageIT {

    static final ObjectMapper JSON = new ObjectMapper();
    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void withoutAGpuItServesOnTheCpuAndSaysWhy() throws Exception {
        String image = Images.gpu();
        DeploymentContainer spec = DeploymentContainer.rendered("gpu");
        assertEquals("cuda,cpu", spec.config.getData().get("AI_MODELS_EXECUTION_PROVIDERS"));
        String suffix = Long.toString(ProcessHandle.current().pid());
        String name = "kiln-it-gpu-" + suffix;
        String volume = "kiln-it-gpu-models-" + suffix;
        Podman.removeContainers(name);
        Podman.removeVolumes(volume);
        try {
            Podman.ok("volume", "create", volume);
            Podman.ok(spec.runArguments(name, image, Map.of("models", volume), Map.of("AI_MODELS_ADMIN_TOKEN", "gpu-it"),
                    List.of("-e", "JDK_JAVA_OPTIONS=-XX:AOTMode=on")).toArray(String[]::new));
            int port = Podman.hostPort(name, spec.containerPort("http"));
            awaitStarted(name, port);
            JsonNode models = JSON.readTree(get(port, "/api/v1/setup/models/status").body()).get("installed_models");
            assertEquals(6, models.size(), "five models and the ppocr pipeline: " + models);
            for (JsonNode m : models) {
                if (m.get("inference_engine").asText().equals("pipeline")) {
                    continue;   // runs no session of its own: its models say where they run
                }
                assertEquals("cpu", m.get("execution_provider").asText(), m.toString());
                assertTrue(m.get("execution_provider_fallbacks").toString().contains("cuda: no NVIDIA GPU found"), m.toString());
            }
            JsonNode cuda = JSON.readTree(get(port, "/api/v1/setup/inference-engines/status").body()).at("/inference_engines/onnxruntime-cuda");
            assertEquals("unavailable", cuda.get("status").asText(), cuda.toString());
            assertTrue(cuda.get("reason").asText().startsWith("no NVIDIA GPU found"), cuda.toString());
            HttpResponse<String> infer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v2/models/all-minilm-l6-v2-q/infer"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(V2.helloWorld())))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, infer.statusCode(), infer.body());
            assertEquals("[1,4,384]", JSON.readTree(infer.body()).at("/outputs/0/shape").toString());
        } finally {
            Podman.removeContainers(name);
            Podman.removeVolumes(volume);
        }
    }

    void awaitStarted(String name, int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (System.nanoTime() < deadline) {
            try {
                if (get(port, "/q/health/started").statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError(name + " did not start:\n" + Podman.run(60, "logs", name).output());
    }

    HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
