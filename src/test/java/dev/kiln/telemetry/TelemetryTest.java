package dev.kiln.telemetry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.config.RuntimeSettings;
import dev.kiln.testing.Json;
import dev.kiln.testing.Startup;
import dev.kiln.testing.TestRepository;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class TelemetryTest {

    static JsonNode telemetry() {
        return Json.of(given().get("/api/v1/setup/ai-models/telemetry").then().statusCode(200));
    }

    static double prometheus(String series) {
        String text = given().header("Accept", "text/plain; version=0.0.4").get("/q/metrics").asString();
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    void usageCountsServedRequestsAndMatchesPrometheus() throws Exception {
        Startup.awaitStarted();
        long before = telemetry().get("models").get("all-minilm-l6-v2-q").get("usage_count").asLong();
        long errorsBefore = telemetry().get("models").get("all-minilm-l6-v2-q").get("error_count").asLong();
        for (int i = 0; i < 3; i++) {
            V2.infer("all-minilm-l6-v2-q", V2.helloWorld()).statusCode(200);
        }
        V2.infer("all-minilm-l6-v2-q", Map.of("inputs", List.of(V2.input("input_ids", "FP32", List.of(1L), List.of(1.0)))))
                .statusCode(400);
        JsonNode t = telemetry().get("models").get("all-minilm-l6-v2-q");
        assertEquals(before + 3, t.get("usage_count").asLong());
        assertEquals(errorsBefore + 1, t.get("error_count").asLong());
        assertTrue(t.get("avg_latency_ms").asDouble() > 0);
        assertNotNull(t.get("last_used").textValue());

        double served = prometheus("ai_model_inference_requests_total{category=\"text\",model=\"all-minilm-l6-v2-q\",outcome=\"success\",version=\"1\",}");
        assertEquals(t.get("usage_count").asLong(), (long) served, "one bookkeeping, two views");
        double invalid = prometheus("ai_model_inference_requests_total{category=\"text\",model=\"all-minilm-l6-v2-q\",outcome=\"invalid\",version=\"1\",}");
        assertTrue(invalid >= 1);

        JsonNode summary = telemetry().get("summary");
        assertEquals(summary.get("total_models").asInt(), summary.get("used_models").asInt() + summary.get("unused_models").asInt());
        assertTrue(summary.get("used_models").asInt() >= 1);
    }

    @Test
    void aLoadedModelIdleBeyondTheWindowIsRecommendedForUnloading() throws Exception {
        Startup.awaitStarted();
        given().post("/v2/repository/models/ppocr-cls/unload").then().statusCode(200);
        given().post("/v2/repository/models/ppocr-cls/load").then().statusCode(200);
        try {
            given().contentType("application/json").body("{\"telemetry_idle_after\": \"1s\"}")
                    .post("/api/v1/setup/config").then().statusCode(200);
            Thread.sleep(1500);
            JsonNode rec = null;
            for (JsonNode r : telemetry().get("recommendations")) {
                if (r.get("model").asText().equals("ppocr-cls")) {
                    rec = r;
                }
            }
            assertNotNull(rec, "ppocr-cls recommended: " + telemetry().get("recommendations"));
            assertEquals(Recommendations.UNLOAD, rec.get("recommendation").asText());
            assertTrue(rec.get("reason").asText().matches("Model is loaded but has not been used: idle \\d+s holding \\d+ MB \\(measured\\).*"), rec.toString());
        } finally {
            given().contentType("application/json").body("{\"telemetry_idle_after\": \"1h\"}")
                    .post("/api/v1/setup/config").then().statusCode(200);
            Files.deleteIfExists(TestRepository.ROOT.resolve(RuntimeSettings.FILE));
        }
    }
}
