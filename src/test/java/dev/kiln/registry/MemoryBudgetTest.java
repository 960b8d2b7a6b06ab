package dev.kiln.registry;

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

/**
 * A 150 MB budget holds the three eager demo models (about 42 MB with session overhead) but not
 * also the 90 MB fp32 MiniLM (about 136 MB with overhead): its load is refused with the numbers,
 * the others keep serving, and room made by unloading lets it load.
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
    void aLoadThatDoesNotFitIsRefusedWithTheNumbers() throws Exception {
        Startup.awaitStarted();
        given().get("/api/v1/setup/models/status").then().statusCode(200)
                .body("installed_models.find { it.name == 'all-minilm-l6-v2' }.can_load", equalTo(false))
                .body("installed_models.find { it.name == 'ppocr-cls' }.loaded", equalTo(true));
        given().post("/v2/repository/models/all-minilm-l6-v2/load").then().statusCode(500)
                .body("error", containsString("does not fit the memory budget"))
                .body("error", containsString("ai.models.memory.budget-bytes"));
        V2.infer("all-minilm-l6-v2", V2.helloWorld()).statusCode(503).body("error", containsString("memory budget"));
        V2.infer("all-minilm-l6-v2-q", V2.helloWorld()).statusCode(200);

        given().post("/v2/repository/models/all-minilm-l6-v2-q/unload").then().statusCode(200);
        given().post("/v2/repository/models/ppocr-v4-det/unload").then().statusCode(200);
        given().post("/v2/repository/models/all-minilm-l6-v2/load").then().statusCode(200).body("state", equalTo("READY"));
    }
}
