package dev.kiln.telemetry;

import dev.kiln.testing.Processes;
import dev.kiln.testing.PrometheusServer;
import dev.kiln.testing.Startup;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

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

    /** The pipeline as a whole (like a model) and each of its steps. */
    static final List<String> PIPELINE = List.of("ai_model_inference_requests_total", "ai_model_inference_duration_seconds_bucket",
            "ai_model_pipeline_step_duration_seconds_bucket", "ai_model_pipeline_step_rows_count", "ai_model_pipeline_step_rows_sum");

    static String prometheusText() {
        return given().header("Accept", "text/plain; version=0.0.4").get("/q/metrics").then().statusCode(200).extract().asString();
    }

    @Test
    void kilnFamiliesAreLintClean() throws Exception {
        Startup.awaitStarted();
        V2.infer("all-minilm-l6-v2-q", V2.helloWorld()).statusCode(200);
        given().contentType("image/jpeg").body(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("docs/ocr-sample.jpg")))
                .post("/v1/ocr").then().statusCode(200);
        String text = prometheusText();
        for (String family : PIPELINE) {
            assertTrue(text.lines().anyMatch(l -> l.startsWith(family + "{") && l.contains("model=\"ppocr\"")), family + " exported for ppocr");
        }
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
        PrometheusServer.Scrape scrape = PrometheusServer.scrape(RestAssured.port, "ai_model_loaded{model=\"all-minilm-l6-v2-q\"}");
        assertTrue(scrape.query().contains("\"1\"]"), "Prometheus stored ai_model_loaded=1: " + scrape.query());
        assertTrue(scrape.targets().contains("\"health\":\"up\""), scrape.targets());
        assertTrue(scrape.targets().contains("\"lastError\":\"\""), scrape.targets());
    }

    /** The query KEDA's trigger runs (less its namespace and service labels) answers on a real Prometheus. */
    @Test
    void theScalingQueryAnswersOnARealPrometheus() throws Exception {
        Startup.awaitStarted();
        PrometheusServer.Scrape scrape = PrometheusServer.scrape(RestAssured.port, "sum(ai_models_requests_waiting)");
        assertTrue(scrape.query().contains("\"0\"]"), "nothing waits now: " + scrape.query());
    }
}
