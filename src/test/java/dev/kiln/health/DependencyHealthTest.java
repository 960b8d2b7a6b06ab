package dev.kiln.health;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.runtime.GpuPresence;
import dev.kiln.testing.Json;
import dev.kiln.testing.Startup;
import dev.kiln.testing.TestRepository;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class DependencyHealthTest {

    static JsonNode health() {
        return Json.of(given().get("/api/v1/setup/dependencies/health").then().statusCode(200));
    }

    @Test
    void reportsRealDependenciesEnginesAndModels() throws Exception {
        Startup.awaitStarted();
        JsonNode h = health();
        assertEquals(0, h.get("issues").size(), h.toString());
        assertTrue(h.get("overall_status").asText().matches("healthy|degraded"));
        JsonNode ort = h.get("dependencies").get("onnxruntime");
        assertEquals("installed", ort.get("status").asText());
        assertEquals("1.23.2", ort.get("version").asText());
        assertEquals("ml", ort.get("category").asText());
        JsonNode repo = h.get("dependencies").get("model-repository");
        assertEquals("storage", repo.get("category").asText());
        assertTrue(repo.get("writable").asBoolean());
        assertTrue(repo.get("free_bytes").asLong() > 0);
        assertEquals("installed", h.get("inference_engines").get("onnxruntime-cpu").get("status").asText());
        if (!GpuPresence.detect().plausible()) {
            JsonNode cuda = h.get("inference_engines").get("onnxruntime-cuda");
            assertEquals("unavailable", cuda.get("status").asText());
            assertTrue(cuda.get("reason").asText().startsWith("no NVIDIA GPU found"), cuda.toString());
            assertEquals("missing", h.get("dependencies").get("nvidia-driver").get("status").asText());
        }
        JsonNode text = h.get("ai_models").get("text");
        assertEquals(2, text.get("total").asInt());
        assertEquals("ready", text.get("status").asText());
        assertEquals("no_models", h.get("ai_models").get("voice").get("status").asText());
        assertEquals("no_models", h.get("ai_models").get("video").get("status").asText());
    }

    @Test
    void aResidentModelThatFailsMakesItUnhealthy() throws Exception {
        Startup.awaitStarted();
        Files.createDirectories(TestRepository.ROOT.resolve("health-broken"));
        Files.writeString(TestRepository.ROOT.resolve("health-broken/model.onnx"), "garbage");
        try {
            V2.rescanAndIndex().statusCode(200);
            given().post("/v2/repository/models/health-broken/load").then().statusCode(500);
            JsonNode h = health();
            assertEquals("unhealthy", h.get("overall_status").asText());
            assertTrue(h.get("issues").get(0).asText().contains("model 'health-broken' must be resident but failed"), h.get("issues").toString());
            assertEquals("error", h.get("ai_models").get("other").get("status").asText());
            // It appeared after startup: it counts for readiness once READY or after ai.models.registry.arrival-grace
            // (ManifestBoundsTest plays the grace out); within it, readiness stays up while the report names the failure.
            given().get("/q/health/ready").then().statusCode(200);
            given().get("/v2/health/ready").then().statusCode(200);
        } finally {
            TestRepository.delete("health-broken");
            V2.rescanAndIndex().statusCode(200);
        }
        assertEquals(0, health().get("issues").size());
        given().get("/q/health/ready").then().statusCode(200);
    }

    @Test
    void theReportIsCachedButFollowsEveryStateChangeAtOnce() throws Exception {
        Startup.awaitStarted();
        int loaded = health().get("ai_models").get("image").get("loaded").asInt();
        assertTrue(loaded >= 2, "the PP-OCR models are warm");
        given().post("/v2/repository/models/ppocr-cls/unload").then().statusCode(200);
        try {
            // The ppocr pipeline, which runs ppocr-cls, is no longer READY either.
            assertEquals(loaded - 2, health().get("ai_models").get("image").get("loaded").asInt(),
                    "an unload shows in the very next report");
        } finally {
            given().post("/v2/repository/models/ppocr-cls/load").then().statusCode(200);
        }
        assertEquals(loaded, health().get("ai_models").get("image").get("loaded").asInt(), "and so does a load");
    }
}
