package dev.kiln.web;

import dev.kiln.testing.Startup;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;

/**
 * The prod profile's rule (a token is required, %prod.ai.models.admin-token-required=true) with
 * none configured: mutating endpoints answer 403 saying how to set one; reads and inference work.
 */
@QuarkusTest
@TestProfile(ProductionDefaultsTest.TokenRequiredNoneSet.class)
class ProductionDefaultsTest {

    public static class TokenRequiredNoneSet implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ai.models.admin-token-required", "true");
        }
    }

    @Test
    void mutatingEndpointsAnswer403WithHowToSetAToken() throws Exception {
        Startup.awaitStarted();
        given().post("/api/v1/setup/ai-models/warm-up").then().statusCode(403)
                .body("error", containsString("AI_MODELS_ADMIN_TOKEN"))
                .body("error", containsString("AI_MODELS_ALLOW_UNAUTHENTICATED_ADMIN"));
        given().contentType("application/json").body("{\"name\": \"ppocr-cls\"}").post("/api/v1/setup/ai-models/uninstall")
                .then().statusCode(403);
        given().post("/v2/repository/models/ppocr-cls/unload").then().statusCode(403);
        given().get("/api/v1/setup/models/status").then().statusCode(200);
        V2.infer("all-minilm-l6-v2-q", V2.helloWorld()).statusCode(200);
    }
}
