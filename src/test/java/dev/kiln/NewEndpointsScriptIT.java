package dev.kiln;

import dev.kiln.config.RuntimeSettings;
import dev.kiln.testing.Processes;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Against the packaged jar, serving the demo repository as `java -jar` from the project root does. */
@QuarkusIntegrationTest
@TestProfile(NewEndpointsScriptIT.WithToken.class)
class NewEndpointsScriptIT {

    static final String TOKEN = "it-admin-token";

    /** The prod profile requires an admin token for mutating endpoints, as a deployment would set. */
    public static class WithToken implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ai.models.admin-token", TOKEN,
                    "ai.models.install.file-roots", Path.of("target/model-jars").toAbsolutePath().toString());
        }
    }

    private static final Path SETTINGS = Path.of("target/demo-models").resolve(RuntimeSettings.FILE);

    @BeforeEach
    void awaitStarted() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 120_000;
        while (given().get("/q/health/started").statusCode() != 200 && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
    }

    @Test
    void scriptPassesAgainstThePackagedJar() throws Exception {
        Processes.Result r = Processes.run(List.of("bash", "test_new_endpoints.sh"), null, 120,
                "BASE_URL", "http://localhost:" + RestAssured.port, "ADMIN_TOKEN", TOKEN);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("checks passed"), r.output());
    }

    /**
     * The packaged application makes its OpenAPI document on first request, not at start
     * (io.quarkus.smallrye.openapi.runtime.DeferredOpenApiDocumentService, prod builds only): the
     * document it serves is still whole (the security scheme, the examples) and the same each time.
     */
    @Test
    void openApiDocumentIsWholeWhenMadeOnFirstRequest() {
        String json = given().queryParam("format", "json").get("/q/openapi").then().statusCode(200).extract().asString();
        assertTrue(json.contains("\"/v2/models/{model}/infer\""), "V2 inference documented");
        assertTrue(json.contains("\"admin-token\""), "the security scheme from application.properties");
        assertTrue(json.contains("\"demo\""), "the captured examples");
        assertEquals(json, given().queryParam("format", "json").get("/q/openapi").then().statusCode(200).extract().asString());
        String yaml = given().get("/q/openapi").then().statusCode(200).extract().asString();
        assertTrue(yaml.startsWith("---") && yaml.contains("/v2/models/{model}/infer:"), "YAML too");
    }

    /** The deferral is in force in the packaged jar: the jar's log (the launcher's target/quarkus.log) says so at start. */
    @Test
    void openApiDocumentIsNotMadeAtStart() throws Exception {
        String log = Files.readString(Path.of("target/quarkus.log"));
        assertTrue(log.contains("made on the first request to /q/openapi, not at start"), log);
    }

    @Test
    void readmeCurlExamplesWorkAsPasted() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        List<String> curls = new java.util.ArrayList<>();
        String[] parts = readme.split("```");
        for (int i = 1; i < parts.length; i += 2) {
            if (parts[i].startsWith("sh\n")) {
                parts[i].lines().filter(l -> l.startsWith("curl ")).forEach(curls::add);
            }
        }
        assertTrue(curls.size() >= 28, "examples found: " + curls.size());
        try {
            for (String example : curls) {
                String command = example.replace("localhost:8000", "localhost:" + RestAssured.port)
                        .replace("Bearer change-me", "Bearer " + TOKEN)
                        + " --fail-with-body -o /dev/null -w '%{http_code}'";
                Processes.Result r = Processes.run(List.of("bash", "-c", command), null, 60);
                assertEquals(0, r.exitCode(), example + " answered " + r.output());
                assertTrue(r.output().startsWith("2"), example + " answered " + r.output());
            }
        } finally {
            given().contentType("application/json").header("Authorization", "Bearer " + TOKEN)
                    .body("{\"warmup_iterations\": 1, \"telemetry_idle_after\": \"1h\"}").post("/api/v1/setup/config");
            Files.deleteIfExists(SETTINGS);
        }
    }

    @Test
    void mutatingEndpointsNeedTheToken() {
        given().post("/api/v1/setup/ai-models/warm-up").then().statusCode(401);
        given().header("Authorization", "Bearer wrong").post("/api/v1/setup/ai-models/warm-up").then().statusCode(401);
        given().header("Authorization", "Bearer " + TOKEN).post("/api/v1/setup/ai-models/warm-up").then().statusCode(200);
        given().get("/api/v1/setup/ai-models/telemetry").then().statusCode(200);
    }
}
