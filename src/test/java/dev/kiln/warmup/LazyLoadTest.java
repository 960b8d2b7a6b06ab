package dev.kiln.warmup;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.telemetry.Recommendations;
import dev.kiln.testing.Json;
import dev.kiln.testing.Startup;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AI_MODELS_LAZY_LOAD=true: lazy models stay unloaded through startup and warm-up, load on first
 * request (a counted cold start), and telemetry moves with inference but not with warm-up.
 */
@QuarkusTest
@TestProfile(LazyLoadTest.Lazy.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LazyLoadTest {

    public static class Lazy implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ai.models.lazy-load", "true", "ai.models.warmup.release-memory", "true");
        }
    }

    private static final List<String> LAZY = List.of("all-minilm-l6-v2", "ppocr-v4-rec");
    private static final List<String> EAGER = List.of("all-minilm-l6-v2-q", "ppocr-cls", "ppocr-v4-det");

    static JsonNode telemetry(String model) {
        return Json.of(given().get("/api/v1/setup/ai-models/telemetry").then().statusCode(200)).get("models").get(model);
    }

    @jakarta.inject.Inject
    ServingPathRehearsal rehearsal;
    @jakarta.inject.Inject
    StartupWarmup startup;
    @jakarta.inject.Inject
    dev.kiln.registry.ModelRegistry registry;

    /**
     * The startup warm-up rehearses the serving paths after the last load, not between loads: a
     * rehearsal's runs and the compilations they cause took the cores the next session needed
     * (measured: the demo's warm-up 1.08-1.23 s before, 0.87-0.97 s after).
     */
    @Test
    @Order(0)
    void rehearsalsBeginAfterEveryStartupLoad() throws Exception {
        Startup.awaitStarted();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .until(() -> EAGER.stream().allMatch(m -> rehearsal.began(m).isPresent()));
        java.time.Instant lastLoad = EAGER.stream().map(m -> registry.status(m, 1).loadedAt())
                .max(java.time.Instant::compareTo).orElseThrow();
        for (String m : EAGER) {
            java.time.Instant began = rehearsal.began(m).orElseThrow();
            assertFalse(began.isBefore(lastLoad), m + "'s rehearsal began at " + began + ", before the last startup load at " + lastLoad);
        }
    }

    @Test
    @Order(1)
    void lazyModelsStayUnloadedThroughStartupAndWarmup() throws Exception {
        Startup.awaitStarted();
        JsonNode status = Json.of(given().get("/api/v1/setup/models/status").then().statusCode(200));
        LAZY.forEach(m -> assertFalse(EagerStartupTest.find(status, m).get("loaded").asBoolean(), m));
        EAGER.forEach(m -> assertTrue(EagerStartupTest.find(status, m).get("loaded").asBoolean(), m));

        JsonNode warm = Json.of(given().post("/api/v1/setup/ai-models/warm-up").then().statusCode(200));
        assertEquals(3, warm.get("total_loaded").asInt());
        assertEquals(1, warm.get("loaded_counts").get("text").asInt());
        assertEquals(2, warm.get("loaded_counts").get("image").asInt());
        LAZY.forEach(m -> assertFalse(telemetry(m).get("loaded").asBoolean(), m + " still unloaded after warm-up"));
        given().get("/q/health/ready").then().statusCode(200);
    }

    @Test
    @Order(2)
    void metadataOfALazyModelComesFromTheFileAndLoadsNothing() {
        for (String model : LAZY) {
            JsonNode meta = Json.of(given().get("/v2/models/" + model).then().statusCode(200));
            assertEquals("AVAILABLE", meta.get("state").asText(), meta.toString());
            assertTrue(meta.get("inputs").size() > 0 && meta.get("outputs").size() > 0, meta.toString());
        }
        JsonNode minilm = Json.of(given().get("/v2/models/all-minilm-l6-v2").then().statusCode(200));
        assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), minilm.get("inputs").findValuesAsText("name"));
        assertEquals("[-1,-1,384]", minilm.get("outputs").get(0).get("shape").toString());
        JsonNode status = Json.of(given().get("/api/v1/setup/models/status").then().statusCode(200));
        LAZY.forEach(m -> {
            assertFalse(EagerStartupTest.find(status, m).get("loaded").asBoolean(), m + " stays unloaded");
            assertEquals(0, EagerStartupTest.find(status, m).get("load_count").asLong(), m + " was never opened");
        });
    }

    @Test
    @Order(3)
    void warmupIsNotUsage() {
        given().post("/api/v1/setup/ai-models/warm-up?include_lazy=true").then().statusCode(200);
        JsonNode t = telemetry("all-minilm-l6-v2-q");
        assertEquals(0, t.get("usage_count").asLong());
        assertTrue(t.get("last_used").isNull());
        given().post("/v2/repository/models/all-minilm-l6-v2/unload").then().statusCode(200);
        given().post("/v2/repository/models/ppocr-v4-rec/unload").then().statusCode(200);
        given().get("/q/health/ready").then().statusCode(200);
        JsonNode notReady = Json.of(given().get("/v2/models/ppocr-v4-rec/ready").then().statusCode(400));
        assertFalse(notReady.get("ready").asBoolean());
        assertEquals("model 'ppocr-v4-rec' is not ready: AVAILABLE (not loaded: unloaded by an operator)",
                notReady.get("error").asText(), "the 400 says why, as every refusal does");
        assertFalse(Json.of(given().get("/v2/models/all-minilm-l6-v2-q/ready").then().statusCode(200)).has("error"));
    }

    @Test
    @Order(4)
    void firstInferenceOnALazyModelLoadsItAndCountsAColdStart() {
        assertEquals(0, telemetry("all-minilm-l6-v2").get("cold_starts").asLong());
        V2.infer("all-minilm-l6-v2", V2.helloWorld()).statusCode(200);
        JsonNode t = telemetry("all-minilm-l6-v2");
        assertTrue(t.get("loaded").asBoolean());
        assertEquals(1, t.get("cold_starts").asLong());
        assertEquals(1, t.get("usage_count").asLong());
        assertNotNull(t.get("last_used").textValue());
        assertTrue(t.get("last_used").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z"), t.toString());

        V2.infer("all-minilm-l6-v2", V2.helloWorld()).statusCode(200);
        t = telemetry("all-minilm-l6-v2");
        assertEquals(1, t.get("cold_starts").asLong(), "a warm model is not a cold start");
        assertEquals(2, t.get("usage_count").asLong());

        String metrics = given().header("Accept", "text/plain; version=0.0.4").get("/q/metrics").asString();
        assertTrue(metrics.contains("ai_model_cold_starts_total{model=\"all-minilm-l6-v2\",version=\"1\",} 1.0"), "cold start in Prometheus");
        assertTrue(metrics.contains("ai_model_inference_requests_total{category=\"text\",model=\"all-minilm-l6-v2\",outcome=\"success\",version=\"1\",} 2.0"));
    }

    @Test
    @Order(5)
    void coldStartsLeadToALoadEagerlyRecommendationWithEvidence() {
        JsonNode recs = Json.of(given().get("/api/v1/setup/ai-models/telemetry").then().statusCode(200)).get("recommendations");
        JsonNode found = null;
        for (JsonNode r : recs) {
            if (r.get("model").asText().equals("all-minilm-l6-v2") && r.get("recommendation").asText().equals(Recommendations.LOAD)) {
                found = r;
            }
        }
        assertNotNull(found, "recommendation for the lazy model: " + recs);
        assertTrue(found.get("reason").asText().contains("1 cold start(s)"), found.toString());
    }

    /**
     * Once the startup's rehearsals are over, what starting took and nothing keeps is given back, once,
     * and the log says how much (StartupMemoryReleaseTest measures the release itself).
     */
    @Test
    @Order(6)
    void memoryIsGivenBackOnceAfterTheStartupRehearsals() {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> startup.released().isPresent());
        StartupMemoryRelease.Released r = startup.released().orElseThrow();
        assertTrue(r.beforeBytes() > 0 && r.afterBytes() > 0, r.message());
        assertTrue(r.message().startsWith("after startup: resident memory "), r.message());
        assertTrue(rehearsal.began("all-minilm-l6-v2-q").isPresent(), "the release came after a startup rehearsal");
    }
}
