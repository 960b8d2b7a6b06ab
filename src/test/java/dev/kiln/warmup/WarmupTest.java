package dev.kiln.warmup;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.testing.Json;
import dev.kiln.testing.Startup;
import dev.kiln.testing.TestRepository;
import dev.kiln.testing.V2;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@QuarkusTest
class WarmupTest {

    @Inject
    ModelRegistry registry;

    @Inject
    MeterRegistry meters;

    private double warmupRuns(String model) {
        return meters.get("ai.model.warmup.duration").tag("model", model).timer().count();
    }

    @Test
    void aSecondCallWhenWarmRunsNoInferences() throws Exception {
        Startup.awaitStarted();
        given().post("/api/v1/setup/ai-models/warm-up").then().statusCode(200);
        double before = warmupRuns("ppocr-v4-det");
        JsonNode again = Json.of(given().post("/api/v1/setup/ai-models/warm-up").then().statusCode(200));
        assertTrue(again.get("already_warm").asBoolean());
        assertEquals("success", again.get("status").asText());
        assertEquals(5, again.get("total_loaded").asInt());
        for (JsonNode m : again.get("models")) {
            assertEquals("already_warm", m.get("status").asText());
        }
        assertEquals(before, warmupRuns("ppocr-v4-det"), "no warm-up inference ran");
    }

    @Test
    void concurrentCallsShareOneRun() throws Exception {
        Startup.awaitStarted();
        for (String m : List.of("ppocr-cls", "ppocr-v4-det")) {
            given().post("/v2/repository/models/" + m + "/unload").then().statusCode(200);
        }
        long clsLoads = registry.status("ppocr-cls").loadCount();
        long detLoads = registry.status("ppocr-v4-det").loadCount();
        double detWarmups = warmupRuns("ppocr-v4-det");

        ExecutorService pool = Executors.newFixedThreadPool(4);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> calls = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            calls.add(pool.submit(() -> {
                go.await();
                return given().post("/api/v1/setup/ai-models/warm-up").statusCode();
            }));
        }
        go.countDown();
        for (Future<Integer> c : calls) {
            assertEquals(200, c.get(60, TimeUnit.SECONDS));
        }
        pool.shutdown();
        assertEquals(clsLoads + 1, registry.status("ppocr-cls").loadCount(), "one load of ppocr-cls");
        assertEquals(detLoads + 1, registry.status("ppocr-v4-det").loadCount(), "one load of ppocr-v4-det");
        assertEquals(detWarmups + 1, warmupRuns("ppocr-v4-det"), "one warm-up run for four calls");
    }

    @Test
    void aFailingModelIsNamedAndTheOthersStayWarm() throws Exception {
        Startup.awaitStarted();
        Files.createDirectories(TestRepository.ROOT.resolve("warm-broken"));
        Files.writeString(TestRepository.ROOT.resolve("warm-broken/model.onnx"), "not onnx");
        try {
            V2.rescanAndIndex().statusCode(200);
            JsonNode report = Json.of(given().post("/api/v1/setup/ai-models/warm-up").then().statusCode(500));
            assertEquals("error", report.get("status").asText());
            assertFalse(report.get("models_loaded").asBoolean());
            assertTrue(report.get("message").asText().contains("warm-broken"), report.get("message").asText());
            for (JsonNode m : report.get("models")) {
                boolean broken = m.get("name").asText().equals("warm-broken");
                assertEquals(broken ? "failed" : m.get("status").asText(), m.get("status").asText());
                if (broken) {
                    assertTrue(m.get("error").asText().contains("load failed"), m.toString());
                } else {
                    assertFalse(m.get("status").asText().equals("failed"), m.toString());
                }
            }
            assertEquals(5, report.get("total_loaded").asInt(), "the five demo models stay warm");
        } finally {
            TestRepository.delete("warm-broken");
            V2.rescanAndIndex().statusCode(200);
        }
    }
}
