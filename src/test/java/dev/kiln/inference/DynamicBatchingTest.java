package dev.kiln.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.testing.Json;
import dev.kiln.testing.Startup;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
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
 * The demo's fp32 MiniLM batches (model.yaml: up to 32 rows, 2 ms): 32 different requests sent at
 * once each get exactly the answer they get when sent alone, and the statistics show runs of more
 * than one row. A request that fails its own checks fails alone. The int8 MiniLM asks for batching
 * too, and is refused it, with the reason: its dynamic quantization would mix rows.
 */
@QuarkusTest
class DynamicBatchingTest {

    static final String MODEL = "all-minilm-l6-v2";
    static final ObjectMapper MAPPER = new ObjectMapper();

    /** Request i: 6 tokens (so all 32 stack), ids depending on i. */
    static Map<String, Object> request(int i) {
        List<Long> ids = List.of(101L, 1000L + i, 2000L + 7 * i, 3000L + i * i, 4000L, 102L);
        return Map.of("id", "r" + i, "inputs", List.of(
                V2.input("input_ids", "INT64", List.of(1L, 6L), ids),
                V2.input("attention_mask", "INT64", List.of(1L, 6L), List.of(1, 1, 1, 1, 1, 1)),
                V2.input("token_type_ids", "INT64", List.of(1L, 6L), List.of(0, 0, 0, 0, 0, 0))));
    }

    static long[] executions() {
        JsonNode stats = Json.of(given().get("/v2/models/" + MODEL + "/stats").then().statusCode(200)).get("model_stats").get(0);
        long batched = 0;
        for (JsonNode b : stats.get("batch_stats")) {
            if (b.get("batch_size").asLong() > 1) {
                batched += b.get("compute_infer").get("count").asLong();
            }
        }
        return new long[]{stats.get("execution_count").asLong(), batched};
    }

    @Test
    void thirtyTwoAtOnceEachGetTheirOwnRowsAndRunInBatches() throws Exception {
        Startup.awaitStarted();
        List<JsonNode> alone = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            alone.add(Json.of(V2.infer(MODEL, request(i)).statusCode(200)).get("outputs").get(0).get("data"));
        }
        long batchedBefore = executions()[1];
        ExecutorService pool = Executors.newFixedThreadPool(32);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Response>> answers = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            int n = i;
            answers.add(pool.submit(() -> {
                go.await();
                return given().contentType("application/json").body(request(n)).post("/v2/models/" + MODEL + "/infer");
            }));
        }
        go.countDown();
        for (int i = 0; i < 32; i++) {
            Response r = answers.get(i).get(60, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.asString());
            JsonNode body = MAPPER.readTree(r.asString());
            assertEquals("r" + i, body.get("id").asText(), "each caller gets its own answer");
            JsonNode data = body.get("outputs").get(0).get("data");
            assertEquals("[1,6,384]", body.get("outputs").get(0).get("shape").toString());
            assertEquals(alone.get(i).size(), data.size());
            for (int k = 0; k < data.size(); k++) {
                assertEquals(alone.get(i).get(k).floatValue(), data.get(k).floatValue(), 1e-5, "request " + i + " value " + k);
            }
        }
        pool.shutdown();
        long batchedAfter = executions()[1];
        System.out.printf("dynamic batching: %d runs of more than one row for 32 concurrent requests%n", batchedAfter - batchedBefore);
        assertTrue(batchedAfter > batchedBefore, "some runs had more than one row");
        String metrics = given().header("Accept", "text/plain; version=0.0.4").get("/q/metrics").asString();
        assertTrue(metrics.contains("ai_model_batch_size_count{category=\"text\",model=\"" + MODEL + "\",version=\"1\",}"), "batch size histogram");
    }

    @Test
    void aRequestThatFailsItsChecksNeverPoisonsTheOthers() throws Exception {
        Startup.awaitStarted();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Response>> answers = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            int n = i;
            answers.add(pool.submit(() -> {
                go.await();
                Object body = n % 4 == 3
                        ? Map.of("inputs", List.of(V2.input("input_ids", "INT64", List.of(1L, 6L), List.of(1, 2, 3))))  // wrong
                        : request(n);
                return given().contentType("application/json").body(body).post("/v2/models/" + MODEL + "/infer");
            }));
        }
        go.countDown();
        for (int i = 0; i < 16; i++) {
            Response r = answers.get(i).get(60, TimeUnit.SECONDS);
            assertEquals(i % 4 == 3 ? 400 : 200, r.statusCode(), "request " + i + ": " + r.asString());
        }
        pool.shutdown();
    }

    @Test
    void valuesOnnxRuntimeRejectsAreTheCallersMistakeAndLimitsAreCheckedFirst() {
        Map<String, Object> outOfVocabulary = Map.of("inputs", List.of(
                V2.input("input_ids", "INT64", List.of(1L, 2L), List.of(101, 999_999_999)),
                V2.input("attention_mask", "INT64", List.of(1L, 2L), List.of(1, 1)),
                V2.input("token_type_ids", "INT64", List.of(1L, 2L), List.of(0, 0))));
        given().contentType("application/json").body(outOfVocabulary).post("/v2/models/all-minilm-l6-v2-q/infer").then()
                .statusCode(400).body("error", org.hamcrest.Matchers.containsString("ONNX Runtime could not run"));
        long[] many = new long[100_000];
        java.util.Arrays.fill(many, 1000);
        Map<String, Object> tooLong = Map.of("inputs", List.of(
                V2.input("input_ids", "INT64", List.of(1L, 100_000L), many),
                V2.input("attention_mask", "INT64", List.of(1L, 100_000L), many),
                V2.input("token_type_ids", "INT64", List.of(1L, 100_000L), many)));
        given().contentType("application/json").body(tooLong).post("/v2/models/all-minilm-l6-v2-q/infer").then()
                .statusCode(400).body("error", org.hamcrest.Matchers.containsString(
                        "dimension 1 is 100000, more than the model takes (512, input_limits in its model.yaml)"));
    }

    @Test
    void aModelThatWouldMixRowsIsNotBatchedAndTheStatusSaysWhy() {
        given().get("/api/v1/setup/models/status").then().statusCode(200)
                .body("installed_models.find { it.name == 'all-minilm-l6-v2-q' }.batching",
                        org.hamcrest.Matchers.startsWith("off: the model uses DynamicQuantizeLinear"))
                .body("installed_models.find { it.name == 'all-minilm-l6-v2' }.batching",
                        org.hamcrest.Matchers.startsWith("on: up to 32 rows"));
    }

    @Test
    void statisticsHaveTritonsShape() {
        V2.infer(MODEL, V2.helloWorld()).statusCode(200);
        JsonNode all = Json.of(given().get("/v2/models/stats").then().statusCode(200)).get("model_stats");
        assertTrue(all.size() >= 5, all.toString());
        JsonNode s = Json.of(given().get("/v2/models/" + MODEL + "/stats").then().statusCode(200)).get("model_stats").get(0);
        assertEquals(MODEL, s.get("name").asText());
        assertEquals("1", s.get("version").asText());
        assertTrue(s.get("inference_count").asLong() >= 1 && s.get("execution_count").asLong() >= 1, s.toString());
        assertTrue(s.get("last_inference").asLong() > 0);
        for (String phase : List.of("success", "fail", "queue", "compute_input", "compute_infer", "compute_output", "cache_hit", "cache_miss")) {
            JsonNode d = s.get("inference_stats").get(phase);
            assertTrue(d.has("count") && d.has("ns"), phase + ": " + s);
        }
        assertTrue(s.get("inference_stats").get("compute_infer").get("ns").asLong() > 0);
        given().get("/v2/models/no-such-model/stats").then().statusCode(404);
    }
}
