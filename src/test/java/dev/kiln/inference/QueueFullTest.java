package dev.kiln.inference;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One worker and a queue of one: a burst gets 503 with Retry-After at once, never a pile-up. */
@QuarkusTest
@TestProfile(QueueFullTest.TinyPool.class)
class QueueFullTest {

    public static class TinyPool implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ai.models.inference.workers", "1", "ai.models.inference.queue-size", "1");
        }
    }

    @Test
    void burstBeyondTheQueueIsAnswered503WithRetryAfter() throws Exception {
        StringBuilder pixels = new StringBuilder();
        for (int i = 0; i < 3 * 320 * 320; i++) {
            pixels.append(i == 0 ? "" : ",").append("0.5");
        }
        String body = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,3,320,320],\"data\":[" + pixels + "]}]}";
        given().post("/v2/repository/models/ppocr-v4-det/load").then().statusCode(200);

        ExecutorService pool = Executors.newFixedThreadPool(12);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Response>> answers = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            answers.add(pool.submit(() -> {
                go.await();
                return given().contentType("application/json").body(body).post("/v2/models/ppocr-v4-det/infer");
            }));
        }
        go.countDown();
        int ok = 0;
        int busy = 0;
        for (Future<Response> f : answers) {
            Response r = f.get(120, TimeUnit.SECONDS);
            if (r.statusCode() == 200) {
                ok++;
            } else {
                assertEquals(503, r.statusCode(), r.asString());
                assertEquals("1", r.header("Retry-After"));
                assertTrue(r.jsonPath().getString("error").contains("is full"), r.asString());
                busy++;
            }
        }
        pool.shutdown();
        assertTrue(ok >= 1, "some requests were served");
        assertTrue(busy >= 1, "the burst overflowed the queue: ok=" + ok);
    }
}
