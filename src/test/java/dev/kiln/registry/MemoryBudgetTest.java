package dev.kiln.registry;

import dev.kiln.testing.Json;
import dev.kiln.testing.Startup;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A 150 MB budget holds the three eager demo models but not also the 90 MB fp32 MiniLM (at least
 * 136 MB with session overhead). The eager ones are required for readiness, so nothing may be
 * unloaded for it: its load answers 507 with the numbers, the model is not FAILED (the next request
 * tries again), the others keep serving, and room made by unloading lets it load.
 */
@QuarkusTest
@TestProfile(MemoryBudgetTest.SmallBudget.class)
class MemoryBudgetTest {

    public static class SmallBudget implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ai.models.memory.budget-bytes", "150000000", "ai.models.lazy-load", "true");
        }
    }

    @Test
    void aLoadThatDoesNotFitAnswers507WithTheNumbersAndIsNotAFailure() throws Exception {
        Startup.awaitStarted();
        given().get("/api/v1/setup/models/status").then().statusCode(200)
                .body("installed_models.find { it.name == 'all-minilm-l6-v2' }.can_load", equalTo(false))
                .body("installed_models.find { it.name == 'ppocr-cls' }.loaded", equalTo(true));
        given().post("/v2/repository/models/all-minilm-l6-v2/load").then().statusCode(507)
                .header("Retry-After", "5")
                .body("error", containsString("'all-minilm-l6-v2' needs about"))
                .body("error", containsString("MiB budget (ai.models.memory.budget-bytes) is free"))
                .body("error", containsString("could not unload"))
                .body("error", containsString("all-minilm-l6-v2-q (required for readiness)"));
        assertEquals("AVAILABLE", Json.of(given().get("/v2/models/all-minilm-l6-v2").then()).get("state").asText(),
                "refused, not FAILED");
        V2.infer("all-minilm-l6-v2", V2.helloWorld()).statusCode(507).body("error", containsString("budget"));
        V2.infer("all-minilm-l6-v2-q", V2.helloWorld()).statusCode(200);
        given().get("/api/v1/setup/ai-models/loaded").then().statusCode(200)
                .body("budget_bytes", equalTo(150000000))
                .body("budget_source", equalTo("ai.models.memory.budget-bytes"))
                .body("models.size()", equalTo(3));

        given().post("/v2/repository/models/all-minilm-l6-v2-q/unload").then().statusCode(200);
        given().post("/v2/repository/models/ppocr-v4-det/unload").then().statusCode(200);
        given().post("/v2/repository/models/all-minilm-l6-v2/load").then().statusCode(200).body("state", equalTo("READY"));
        V2.infer("all-minilm-l6-v2", V2.helloWorld()).statusCode(200);
    }
}
