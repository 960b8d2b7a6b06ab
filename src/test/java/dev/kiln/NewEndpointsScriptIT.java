package dev.kiln;

import dev.kiln.config.RuntimeSettings;
import dev.kiln.testing.Processes;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Against the packaged jar, serving the demo repository as `java -jar` from the project root does. */
@QuarkusIntegrationTest
class NewEndpointsScriptIT {

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
                "BASE_URL", "http://localhost:" + RestAssured.port);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("checks passed"), r.output());
    }

    @Test
    void readmeCurlExamplesWorkAsPasted() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        String block = readme.substring(readme.indexOf("## API"));
        block = block.substring(block.indexOf("```sh") + 5);
        block = block.substring(0, block.indexOf("```"));
        List<String> curls = block.lines().filter(l -> l.startsWith("curl ")).toList();
        assertTrue(curls.size() >= 20, "examples found: " + curls.size());
        try {
            for (String example : curls) {
                String command = example.replace("localhost:8000", "localhost:" + RestAssured.port)
                        + " --fail-with-body -o /dev/null -w '%{http_code}'";
                Processes.Result r = Processes.run(List.of("bash", "-c", command), null, 60);
                assertEquals(0, r.exitCode(), example + " answered " + r.output());
                assertTrue(r.output().startsWith("2"), example + " answered " + r.output());
            }
        } finally {
            given().contentType("application/json").body("{\"warmup_iterations\": 1, \"telemetry_idle_after\": \"1h\"}")
                    .post("/api/v1/setup/config");
            Files.deleteIfExists(SETTINGS);
        }
    }
}
