package dev.kiln.telemetry;

import dev.kiln.testing.Processes;
import dev.kiln.testing.Startup;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Kiln's own metric families pass promtool's lint, and a real Prometheus server scrapes them. */
@QuarkusTest
class PrometheusExpositionTest {

    static final List<String> REQUIRED = List.of("ai_model_inference_requests_total", "ai_model_inference_duration_seconds_bucket",
            "ai_model_loaded", "ai_model_load_duration_seconds_bucket", "ai_model_warmup_duration_seconds_bucket",
            "ai_model_cold_starts_total", "ai_model_last_used_timestamp_seconds", "ai_models_loaded",
            "ai_model_requests_waiting", "ai_model_requests_in_flight");

    static String prometheusText() {
        return given().header("Accept", "text/plain; version=0.0.4").get("/q/metrics").then().statusCode(200).extract().asString();
    }

    @Test
    void kilnFamiliesAreLintClean() throws Exception {
        Startup.awaitStarted();
        V2.infer("all-minilm-l6-v2-q", V2.helloWorld()).statusCode(200);
        String text = prometheusText();
        for (String family : REQUIRED) {
            assertTrue(text.lines().anyMatch(l -> l.startsWith(family + "{")), family + " exported");
        }
        String ours = text.lines().filter(l -> l.matches("^(# (HELP|TYPE) )?ai_models?_.*"))
                .collect(Collectors.joining("\n", "", "\n"));
        Processes.Result lint = Processes.run(List.of("promtool", "check", "metrics"), ours, 30);
        assertEquals(0, lint.exitCode(), "promtool check metrics: " + lint.output());
        assertEquals("", lint.output().trim());
    }

    @Test
    void aRealPrometheusServerScrapesCleanly() throws Exception {
        Startup.awaitStarted();
        Path dir = Files.createTempDirectory("kiln-prometheus");
        int port = Processes.freePort();
        Files.writeString(dir.resolve("prometheus.yml"), """
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: kiln
                    metrics_path: /q/metrics
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                """.formatted(RestAssured.port));
        Process server = new ProcessBuilder("prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            String query = "http://127.0.0.1:" + port + "/api/v1/query?query=ai_model_loaded%7Bmodel%3D%22all-minilm-l6-v2-q%22%7D";
            String targets = "http://127.0.0.1:" + port + "/api/v1/targets";
            String answer = "";
            long deadline = System.currentTimeMillis() + 60_000;
            while (System.currentTimeMillis() < deadline && !answer.contains("\"value\"")) {
                Thread.sleep(500);
                try {
                    answer = http.send(HttpRequest.newBuilder(URI.create(query)).build(), HttpResponse.BodyHandlers.ofString()).body();
                } catch (java.io.IOException notYet) {
                    answer = "";
                }
            }
            assertTrue(answer.contains("\"1\"]"), "Prometheus stored ai_model_loaded=1: " + answer);
            String queue = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/api/v1/query?query=sum(ai_models_requests_waiting)")).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(queue.contains("\"0\"]"), "the scaling query answers (nothing waits now): " + queue);
            String t = http.send(HttpRequest.newBuilder(URI.create(targets)).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(t.contains("\"health\":\"up\""), t);
            assertTrue(t.contains("\"lastError\":\"\""), t);
        } finally {
            server.destroy();
            server.waitFor();
        }
    }
}
