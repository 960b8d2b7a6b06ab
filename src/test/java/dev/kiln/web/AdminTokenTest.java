package dev.kiln.web;

import dev.kiln.testing.Startup;
import dev.kiln.testing.V2;
import dev.kiln.testing.WithAdminToken;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;


import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** With a token configured: every mutating endpoint needs it; reads and inference stay open. */
@QuarkusTest
@TestProfile(WithAdminToken.class)
class AdminTokenTest {

    static final String TOKEN = WithAdminToken.TOKEN;

    static RequestSpecification as(String token) {
        RequestSpecification spec = given().contentType("application/json");
        return token == null ? spec : spec.header("Authorization", "Bearer " + token);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
            "POST|/api/v1/setup/ai-models/warm-up|",
            "POST|/api/v1/setup/config|{\"warmup_iterations\": 1}",
            "POST|/api/v1/setup/inference-engines/install|{\"engine\": \"onnxruntime-cpu\"}",
            "POST|/api/v1/setup/ai-models/install|{\"name\": \"x\"}",
            "POST|/api/v1/setup/ai-models/enable|{\"name\": \"no-such\", \"enabled\": true}",
            "POST|/api/v1/setup/ai-models/uninstall|{\"name\": \"no-such\"}",
            "POST|/v2/repository/models/ppocr-cls/unload|",
            "POST|/v2/repository/models/ppocr-cls/load|",
            "POST|/api/v1/setup/ai-models/rescan|"})
    void mutatingEndpointNeedsTheToken(String method, String path, String body) throws Exception {
        Startup.awaitStarted();
        String b = body == null ? "" : body;
        as(null).body(b).request(method, path).then().statusCode(401)
                .header("WWW-Authenticate", containsString("Bearer"))
                .body("error", containsString("Authorization: Bearer"));
        as("wrong-token").body(b).request(method, path).then().statusCode(401);
        as(TOKEN.substring(0, 10)).body(b).request(method, path).then().statusCode(401);
        given().contentType("application/json").header("Authorization", TOKEN).body(b).request(method, path)
                .then().statusCode(401);
        int withToken = as(TOKEN).body(b).request(method, path).then().extract().statusCode();
        assertNotEquals(401, withToken);
        assertNotEquals(403, withToken);
    }

    @Test
    void readsProbesAndInferenceStayOpen() throws Exception {
        Startup.awaitStarted();
        for (String path : new String[]{"/api/v1/setup/status", "/api/v1/setup/dependencies/health", "/api/v1/setup/models/status",
                "/api/v1/setup/ai-models/telemetry", "/api/v1/setup/template", "/api/v1/setup/ai-models/install/jobs",
                "/q/health/ready", "/q/metrics", "/v2", "/v2/models/ppocr-cls"}) {
            given().get(path).then().statusCode(200);
        }
        V2.infer("all-minilm-l6-v2-q", V2.helloWorld()).statusCode(200);
        V2.index().statusCode(200);
        as(TOKEN).post("/v2/repository/models/ppocr-cls/load").then().statusCode(200).body("state", equalTo("READY"));
    }

    /**
     * Every OpenAI SDK sends {@code Authorization: Bearer <api key>}, whatever the key. Where inference
     * is open, a credential Kiln cannot verify is ignored (the caller is anonymous); where the admin
     * role is needed it still gets 401.
     */
    @Test
    void openEndpointsIgnoreACredentialTheyCannotVerify() throws Exception {
        Startup.awaitStarted();
        for (String key : new String[]{"none", "sk-" + "x".repeat(48), TOKEN.substring(0, 10)}) {
            as(key).body(java.util.Map.of("model", "all-minilm-l6-v2-q", "input", "hello")).post("/v1/embeddings")
                    .then().statusCode(200).body("data[0].embedding.size()", equalTo(384));
            as(key).body(V2.helloWorld()).post("/v2/models/all-minilm-l6-v2-q/infer").then().statusCode(200);
            as(key).body("{}").post("/v2/repository/index").then().statusCode(200);
            as(key).get("/v1/models").then().statusCode(200);
            as(key).get("/api/v1/setup/status").then().statusCode(200);
            as(key).post("/api/v1/setup/ai-models/rescan").then().statusCode(401)
                    .header("WWW-Authenticate", containsString("Bearer"));
        }
    }
}
