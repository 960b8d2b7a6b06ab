package dev.kiln.warmup;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.testing.Json;
import dev.kiln.testing.Startup;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With AI_MODELS_LAZY_LOAD=false (the default) every demo model is loaded by the startup warm-up. */
@QuarkusTest
class EagerStartupTest {

    @Test
    void allFiveDemoModelsAreLoadedAfterStartup() throws Exception {
        Startup.awaitStarted();
        JsonNode status = Json.of(given().get("/api/v1/setup/models/status").then().statusCode(200));
        for (String name : List.of("all-minilm-l6-v2", "all-minilm-l6-v2-q", "ppocr-cls", "ppocr-v4-det", "ppocr-v4-rec")) {
            JsonNode m = find(status, name);
            assertTrue(m.get("loaded").asBoolean(), name + " loaded: " + m);
            assertEquals("READY", m.get("state").asText());
            assertEquals("cpu", m.get("execution_provider").asText(), "no GPU here, so the session runs on CPU");
        }
        JsonNode setup = Json.of(given().get("/api/v1/setup/status").then().statusCode(200));
        assertEquals("done", setup.get("warmup").get("phase").asText());
        assertTrue(setup.get("warmup").get("last_message").asText().startsWith("AI models warmed up successfully in"));
        given().get("/q/health/ready").then().statusCode(200);
    }

    static JsonNode find(JsonNode status, String name) {
        for (JsonNode m : status.get("installed_models")) {
            if (m.get("name").asText().equals(name)) {
                return m;
            }
        }
        throw new AssertionError(name + " not in models status");
    }
}
