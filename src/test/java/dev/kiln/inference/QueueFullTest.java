package dev.kiln.inference;

import dev.kiln.testing.Startup;
import dev.kiln.testing.WithAdminToken;
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

/**
 * One worker and a queue of one: a burst gets 503 with Retry-After at once, never a pile-up. An admin
 * token is set, so the callers are anonymous as in production (their answers go through redaction).
 */
@QuarkusTest
@TestProfile(QueueFullTest.TinyPool.class)
class QueueFullTest {

    public static class TinyPool implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ai.models.inference.workers", "1", "ai.models.inference.queue-size", "1",
                    "ai.models.admin-token", WithAdminToken.TOKEN);
        }
    }

    @Test
    void burstBeyondTheQueueIsAnswered503WithRetryAfter() throws Exception {
        StringBuilder pixels = new StringBuilder();
        for (int i = 0; i < 3 * 320 * 320; i++) {
            pixels.append(i == 0 ? "" : ",").append("0.5");
        }
        String body = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,3,320,320],\"data\":[" + pixels + "]}]}";
        given().header("Authorization", "Bearer " + WithAdminToken.TOKEN).post("/v2/repository/models/ppocr-v4-det/load")
                .then().statusCode(200);

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

    /** On /v1 the queue's 503 and ONNX Runtime's refusals come in OpenAI's error shape, as every other /v1 error. */
    @Test
    void v1ErrorsFromTheQueueAndOnnxRuntimeComeInOpenAisShape() throws Exception {
        Startup.awaitStarted();
        Map<String, Object> body = Map.of("model", "all-minilm-l6-v2", "input", "the long sentence goes on ".repeat(60));
        given().contentType("application/json").body(body).post("/v1/embeddings").then().statusCode(200);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Response>> answers = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            answers.add(pool.submit(() -> {
                go.await();
                return given().contentType("application/json").body(body).post("/v1/embeddings");
            }));
        }
        go.countDown();
        int busy = 0;
        for (Future<Response> f : answers) {
            Response r = f.get(120, TimeUnit.SECONDS);
            if (r.statusCode() != 200) {
                assertEquals(503, r.statusCode(), r.asString());
                assertEquals("1", r.header("Retry-After"));
                assertEquals("server_error", r.jsonPath().getString("error.type"), r.asString());
                assertTrue(r.jsonPath().getString("error.message").contains("is full"), r.asString());
                busy++;
            }
        }
        pool.shutdown();
        assertTrue(busy >= 1, "the burst overflowed the queue");

        // Token id 40000 is past MiniLM's vocabulary (30522): ONNX Runtime's Gather refuses it.
        Response oov = given().contentType("application/json").body(Map.of("model", "all-minilm-l6-v2-q", "input", List.of(101, 40000, 102)))
                .post("/v1/embeddings");
        assertEquals(400, oov.statusCode(), oov.asString());
        assertEquals("invalid_request_error", oov.jsonPath().getString("error.type"), oov.asString());
        assertTrue(oov.jsonPath().getString("error.message").contains("40000"), oov.asString());
    }
}
