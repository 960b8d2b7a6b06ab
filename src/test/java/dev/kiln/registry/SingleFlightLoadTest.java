package dev.kiln.registry;

import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Eight requests for a cold model start one load between them, and all are answered. */
@QuarkusTest
class SingleFlightLoadTest {

    private static final String MODEL = "ppocr-v4-rec";

    @Inject
    ModelRegistry registry;

    @Test
    void concurrentRequestsForAColdModelLoadItOnce() throws Exception {
        given().post("/v2/repository/models/" + MODEL + "/unload").then().statusCode(200);
        long loadsBefore = registry.status(MODEL).loadCount();
        float[] line = new float[3 * 48 * 64];
        java.util.Arrays.fill(line, 0.5f);
        Map<String, Object> body = Map.of("inputs", List.of(V2.input("x", "FP32", List.of(1L, 3L, 48L, 64L), line)));

        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> answers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            answers.add(pool.submit(() -> {
                go.await();
                return given().contentType("application/json").body(body).post("/v2/models/" + MODEL + "/infer").statusCode();
            }));
        }
        go.countDown();
        for (Future<Integer> a : answers) {
            assertEquals(200, a.get(60, TimeUnit.SECONDS));
        }
        pool.shutdown();
        assertEquals(loadsBefore + 1, registry.status(MODEL).loadCount(), "one load served all eight");
    }
}
