package dev.kiln.registry;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.runtime.TinyOnnx;
import dev.kiln.testing.Json;
import dev.kiln.testing.PrivateRepository;
import dev.kiln.testing.Startup;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keep-alive as Ollama has it: ai.models.keep-alive=2s for lazy models, keep_alive 0 (after each
 * use) and -1 (never) per model; required models and models with requests in flight are never
 * unloaded for being idle.
 */
@QuarkusTest
@TestProfile(KeepAliveTest.ShortKeepAlive.class)
class KeepAliveTest {

    static final String SMALL = "{\"inputs\":[{\"name\":\"X\",\"datatype\":\"FP32\",\"shape\":[2],\"data\":[1.5,-2.0]}]}";

    public static class ShortKeepAlive implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, byte[]> models = new LinkedHashMap<>();
            for (String n : List.of("ka-default", "ka-zero", "ka-never", "ka-eager", "ka-busy")) {
                models.put(n, TinyOnnx.doubler(-1));
            }
            Map<String, String> manifests = Map.of("ka-default", "lazy_load: true\n", "ka-zero", "lazy_load: true\nkeep_alive: \"0\"\n",
                    "ka-never", "lazy_load: true\nkeep_alive: \"-1\"\n", "ka-busy", "lazy_load: true\n");
            return Map.of("ai.models.repository", PrivateRepository.create("keep-alive-models", models, manifests),
                    "ai.models.lazy-load", "true", "ai.models.keep-alive", "2s", "ai.models.registry.sweep-interval", "200ms");
        }
    }

    @Inject
    ModelRegistry registry;

    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "ai.models.repository")
    String repository;

    static void infer(String model) {
        given().contentType("application/json").body(SMALL).post("/v2/models/" + model + "/infer").then().statusCode(200);
    }

    ModelState state(String model) {
        return registry.status(model).state();
    }

    static JsonNode loaded(String model) {
        for (JsonNode m : Json.of(given().get("/api/v1/setup/ai-models/loaded").then().statusCode(200)).get("models")) {
            if (m.get("name").asText().equals(model)) {
                return m;
            }
        }
        return null;
    }

    @Test
    void idleModelsGoWhenTheirTimeIsUp() throws Exception {
        Startup.awaitStarted();
        infer("ka-default");
        JsonNode view = loaded("ka-default");
        assertNotNull(view);
        assertEquals("2s", view.get("keep_alive").asText());
        Instant expires = Instant.parse(view.get("expires_at").asText());
        Instant used = Instant.parse(view.get("last_used").asText());
        assertEquals(2000, Duration.between(used, expires).toMillis(), 5, "expires_at = last_used + keep_alive");
        await().atMost(Duration.ofSeconds(6)).until(() -> state("ka-default") == ModelState.AVAILABLE);
        assertTrue(registry.status("ka-default").reason().contains("keep_alive"), registry.status("ka-default").reason());
        String metrics = given().header("Accept", "text/plain; version=0.0.4").get("/q/metrics").asString();
        assertTrue(metrics.contains("ai_model_evictions_total{model=\"ka-default\",reason=\"keep_alive\",version=\"1\",} 1.0"), "counted");
    }

    @Test
    void zeroUnloadsAfterEachUseAndMinusOneNever() throws Exception {
        Startup.awaitStarted();
        infer("ka-zero");
        infer("ka-never");
        await().atMost(Duration.ofSeconds(3)).until(() -> state("ka-zero") == ModelState.AVAILABLE);
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> state("ka-never") == ModelState.READY);
        assertEquals(ModelState.READY, state("ka-eager"), "required models never go for being idle");
        assertTrue(loaded("ka-eager").get("expires_at").isNull());
        assertTrue(loaded("ka-eager").get("required").asBoolean());
        assertTrue(loaded("ka-never").get("expires_at").isNull());
    }

    @Test
    void aModelWithARequestInFlightStays() throws Exception {
        Startup.awaitStarted();
        infer("ka-busy");
        try (Lease inFlight = registry.acquire("ka-busy")) {
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> state("ka-busy") == ModelState.READY);
            assertEquals(1, registry.status("ka-busy").inFlight());
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> state("ka-busy") == ModelState.AVAILABLE);
    }
    /** Each version has its own keep-alive: the one in use stays, the idle one beside it goes. */
    @Test
    void eachVersionIsKeptAliveOnItsOwn() throws Exception {
        Startup.awaitStarted();
        java.nio.file.Path dir = java.nio.file.Path.of(repository).resolve("ka-versions");
        for (String v : List.of("1", "2")) {
            java.nio.file.Files.write(java.nio.file.Files.createDirectories(dir.resolve(v)).resolve("model.onnx"), TinyOnnx.doubler(-1));
        }
        java.nio.file.Files.writeString(dir.resolve("model.yaml"), "lazy_load: true\n");
        given().post("/api/v1/setup/ai-models/rescan").then().statusCode(200);
        infer("ka-versions/versions/1");
        infer("ka-versions/versions/2");
        assertEquals(ModelState.READY, registry.status("ka-versions", 2).state());
        Instant until = Instant.now().plusMillis(3500);
        while (Instant.now().isBefore(until)) {
            infer("ka-versions/versions/1");
            Thread.sleep(250);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.status("ka-versions", 2).state() == ModelState.AVAILABLE);
        assertEquals(ModelState.READY, registry.status("ka-versions", 1).state(), "the version in use stays");
        assertTrue(registry.status("ka-versions", 2).reason().contains("keep_alive"), registry.status("ka-versions", 2).reason());
    }
}
