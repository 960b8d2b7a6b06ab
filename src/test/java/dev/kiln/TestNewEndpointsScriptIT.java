package dev.kiln;

import dev.kiln.testing.Processes;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** test_new_endpoints.sh against the packaged jar, serving the demo repository as `java -jar` would. */
@QuarkusIntegrationTest
class TestNewEndpointsScriptIT {

    @Test
    void scriptPassesAgainstThePackagedJar() throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        while (given().get("/q/health/started").statusCode() != 200 && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        Processes.Result r = Processes.run(List.of("bash", "test_new_endpoints.sh"), null, 120,
                "BASE_URL", "http://localhost:" + RestAssured.port);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("checks passed"), r.output());
    }
}
