package dev.kiln.setup;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.config.RuntimeSettings;
import dev.kiln.runtime.GpuPresence;
import dev.kiln.testing.Json;
import dev.kiln.testing.Startup;
import dev.kiln.testing.TestRepository;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class SetupEndpointsTest {

    @Test
    void statusSaysWhatIsRunning() throws Exception {
        Startup.awaitStarted();
        JsonNode s = Json.of(given().get("/api/v1/setup/status").then().statusCode(200));
        assertEquals(TestRepository.ROOT.toString(), s.get("repository").asText());
        assertEquals(false, s.get("lazy_load").asBoolean());
        assertEquals("done", s.get("warmup").get("phase").asText());
        assertTrue(s.get("models").get("loaded").asInt() >= 5, s.toString());
        assertEquals("cpu", s.get("execution_provider").asText());
        Instant startedAt = Instant.parse(s.get("started_at").asText());
        long sinceStart = Duration.between(startedAt, Instant.now()).toSeconds();
        assertTrue(s.get("uptime_seconds").isIntegralNumber(), s.toString());
        long uptime = s.get("uptime_seconds").asLong();
        assertTrue(uptime >= 1 && uptime <= sinceStart && uptime >= sinceStart - 2,
                "uptime_seconds " + uptime + " is the seconds since started_at (" + sinceStart + " s ago)");
    }

    @Test
    void configIsValidatedAppliedAndPersisted() throws Exception {
        Path file = TestRepository.ROOT.resolve(RuntimeSettings.FILE);
        try {
            given().contentType("application/json").body("{\"warmup_iterations\": 101, \"telemetry_idle_after\": \"later\"}")
                    .post("/api/v1/setup/config").then().statusCode(400)
                    .body("error", containsString("warmup_iterations must be between 0 and 100"))
                    .body("error", containsString("telemetry_idle_after is not a duration"));
            // Such durations overflowed when the settings were written back (500); the file keeps its value.
            for (String huge : new String[]{"106751991167300d", "PT2562047788015215H", "99999999999d", "366d"}) {
                given().contentType("application/json").body("{\"telemetry_idle_after\": \"" + huge + "\"}")
                        .post("/api/v1/setup/config").then().statusCode(400)
                        .body("error", containsString("telemetry_idle_after"));
            }
            given().contentType("application/json").body("{\"lazyload\": true}")
                    .post("/api/v1/setup/config").then().statusCode(400).body("error", equalTo("unknown field 'lazyload'"));
            given().contentType("application/json").body("{\"lazy_load\": \"sometimes\"}")
                    .post("/api/v1/setup/config").then().statusCode(400).body("error", equalTo("field 'lazy_load' has the wrong type"));
            // A wrong type is a 400, never a guess: no string for a number, no fraction for an integer, no number for a
            // boolean or a string.
            for (String body : new String[]{"{\"warmup_iterations\": \"3\"}", "{\"warmup_iterations\": 2.5}",
                    "{\"warmup_iterations\": 3.0}", "{\"warmup_iterations\": true}", "{\"lazy_load\": \"true\"}",
                    "{\"lazy_load\": 1}", "{\"telemetry_idle_after\": 45}", "{\"telemetry_idle_after\": false}"}) {
                String field = body.substring(2, body.indexOf('"', 2));
                given().contentType("application/json").body(body).post("/api/v1/setup/config").then().statusCode(400)
                        .body("error", equalTo("field '" + field + "' has the wrong type"));
            }
            assertTrue(!Files.exists(file), "nothing written by a rejected change");

            given().contentType("application/json").body("{\"warmup_iterations\": 3, \"telemetry_idle_after\": \"45m\"}")
                    .post("/api/v1/setup/config").then().statusCode(200)
                    .body("warmup_iterations", equalTo(3)).body("telemetry_idle_after", equalTo("45m"))
                    .body("lazy_load", equalTo(false));
            given().get("/api/v1/setup/config").then().body("warmup_iterations", equalTo(3));
            given().accept("text/plain").get("/api/v1/setup/template").then().statusCode(200)
                    .body(containsString("\nAI_MODELS_WARMUP_ITERATIONS=3\n")); // the cached template follows the change
            String saved = Files.readString(file);
            assertTrue(saved.contains("warmup_iterations: 3") && saved.contains("45m"), saved);
        } finally {
            given().contentType("application/json").body("{\"warmup_iterations\": 1, \"telemetry_idle_after\": \"1h\"}")
                    .post("/api/v1/setup/config").then().statusCode(200);
            Files.deleteIfExists(file);
        }
    }

    @Test
    void templateListsEverySettingAndRendersAsDotEnv() {
        JsonNode t = Json.of(given().get("/api/v1/setup/template").then().statusCode(200));
        boolean lazy = false;
        for (JsonNode s : t.get("settings")) {
            assertEquals(s.get("key").asText().toUpperCase().replaceAll("[^A-Z0-9]", "_"), s.get("env").asText());
            lazy |= s.get("env").asText().equals("AI_MODELS_LAZY_LOAD") && s.get("runtime_changeable").asBoolean();
        }
        assertTrue(lazy, "lazy-load is listed and changeable at run time");
        String env = given().accept("text/plain").get("/api/v1/setup/template").then().statusCode(200).extract().asString();
        assertTrue(env.contains("\nAI_MODELS_LAZY_LOAD=false\n"), env);
        assertTrue(env.contains("\nAI_MODELS_REPOSITORY=target/test-models\n"), env);
    }

    @Test
    void engineInstallProvesTheProviderOrSaysWhatIsMissing() {
        given().contentType("application/json").body("{\"engine\": \"onnxruntime-cpu\"}")
                .post("/api/v1/setup/inference-engines/install").then().statusCode(200)
                .body("status", equalTo("installed")).body("preferred_execution_providers[0]", equalTo("cpu"));
        if (!GpuPresence.detect().plausible()) {
            given().contentType("application/json").body("{\"engine\": \"onnxruntime-cuda\"}")
                    .post("/api/v1/setup/inference-engines/install").then().statusCode(424)
                    .body("error", containsString("no NVIDIA GPU found"))
                    .body("error", containsString("libcudart.so.12"));
        }
        given().contentType("application/json").body("{\"engine\": \"triton\"}")
                .post("/api/v1/setup/inference-engines/install").then().statusCode(400)
                .body("error", containsString("unknown engine 'triton'"));
        given().contentType("application/json").body("{}")
                .post("/api/v1/setup/inference-engines/install").then().statusCode(400)
                .body("error", containsString("'engine' is required"));
        given().get("/api/v1/setup/inference-engines/status").then().statusCode(200)
                .body("inference_engines.onnxruntime-cpu.status", equalTo("installed"));
    }

    /**
     * Found by ManagementFuzzIT in CI: {"name": "ppocr-cls", "name": "x"} to uninstall was a 500 (Jackson's
     * record binding fails on a repeated creator property). A key given twice is refused everywhere, before
     * anything runs, with the key named.
     */
    @Test
    void aKeyGivenTwiceIsRefusedBeforeAnythingRuns() throws Exception {
        Startup.awaitStarted();
        String[][] cases = {
                {"/api/v1/setup/ai-models/uninstall", "{\"name\": \"ppocr-cls\", \"name\": \"x\"}", "name"},
                {"/api/v1/setup/ai-models/enable", "{\"name\": \"ppocr-cls\", \"enabled\": false, \"enabled\": true}", "enabled"},
                {"/api/v1/setup/ai-models/install", "{\"name\": \"a\", \"name\": \"b\", \"url\": \"file:///x\"}", "name"},
                {"/api/v1/setup/config", "{\"warmup_iterations\": 2, \"warmup_iterations\": 3}", "warmup_iterations"},
                {"/v2/repository/index", "{\"ready\": true, \"ready\": false}", "ready"},
                {"/v2/models/ppocr-cls/infer", "{\"inputs\": [], \"inputs\": []}", "inputs"},
        };
        for (String[] c : cases) {
            given().contentType("application/json").body(c[1]).post(c[0]).then().statusCode(400)
                    .body("error", equalTo("malformed JSON: Duplicate field '" + c[2] + "'"));
        }
        given().contentType("application/json").body("{\"model\": \"all-minilm-l6-v2-q\", \"input\": \"a\", \"input\": \"b\"}")
                .post("/v1/embeddings").then().statusCode(400)
                .body("error.message", equalTo("malformed JSON: Duplicate field 'input'"))
                .body("error.type", equalTo("invalid_request_error"));
        assertTrue(Files.isDirectory(TestRepository.ROOT.resolve("ppocr-cls")), "the uninstall did not run");
        given().get("/v2/models/ppocr-cls/ready").then().statusCode(200);
        assertTrue(!Files.exists(TestRepository.ROOT.resolve(RuntimeSettings.FILE)), "no settings written");
    }
}
