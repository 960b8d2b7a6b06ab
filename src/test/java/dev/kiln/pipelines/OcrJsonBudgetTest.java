package dev.kiln.pipelines;

import dev.kiln.testing.Startup;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.util.Base64;
import java.util.Map;
import java.util.Random;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * /v1/ocr's JSON form holds about four times its body while it is parsed (the base64 as characters,
 * the string, the decoded file): that is counted in the inference byte budget, so a burst of large
 * JSON bodies is refused with 503 instead of taking the heap (eight 20 MB bodies at once did, under
 * -Xmx512m, when only the body was counted).
 */
@QuarkusTest
@TestProfile(OcrJsonBudgetTest.SmallBudget.class)
class OcrJsonBudgetTest {

    public static class SmallBudget implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ai.models.inference.max-queued-bytes", "8000000");
        }
    }

    @Test
    void parsingALargeJsonBodyIsCountedAndRefusedWhenItDoesNotFit() throws Exception {
        Startup.awaitStarted();
        byte[] noise = new byte[1_800_000];
        new Random(7).nextBytes(noise);
        String body = "{\"image\": \"" + Base64.getEncoder().encodeToString(noise) + "\"}";
        // 2.4 MB of body in the budget, and 9.6 MB to parse it: more than the 8 MB there is.
        given().contentType("application/json").body(body).post("/v1/ocr").then().statusCode(503)
                .header("Retry-After", "1")
                .body("error.type", equalTo("server_error"))
                .body("error.message", containsString("parsing this JSON body takes about"));
        // Nothing stays held: a small body is read, and refused for what it is.
        given().contentType("application/json").body("{\"image\": \"bm90IGFuIGltYWdl\"}").post("/v1/ocr").then().statusCode(400)
                .body("error.message", equalTo("not a PNG or JPEG image"));
        // The same bytes as the body itself need no parsing: read, and refused for what they are.
        given().contentType("image/png").body(noise).post("/v1/ocr").then().statusCode(400);
    }
}
