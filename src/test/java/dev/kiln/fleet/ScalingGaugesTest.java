package dev.kiln.fleet;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scaling signal: requests waiting and in flight, per model and in total, while readiness stays UP. */
@QuarkusTest
@TestProfile(ScalingGaugesTest.OneWorker.class)
class ScalingGaugesTest {

    public static class OneWorker implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ai.models.inference.workers", "1", "ai.models.inference.queue-size", "32", "ai.models.inference.batching", "false");
        }
    }

    /** A series' value; labels as written here, with or without the text format's trailing comma. */
    static double value(String metrics, String series) {
        String pattern = Pattern.quote(series);
        if (series.endsWith("}")) {
            pattern = Pattern.quote(series.substring(0, series.length() - 1)) + ",?\\}";
        }
        Matcher m = Pattern.compile("(?m)^" + pattern + " ([0-9.eE+-]+)$").matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    @Test
    void aQueueShowsInTheGaugesAndReadinessStaysUp() throws Exception {
        // 640×640 and the body made once, sent by java.net.http: every request reaches the server
        // within a few milliseconds of the others, while each run takes tens of milliseconds, so the
        // queue is there to be seen even on a busy two-core CI machine (RestAssured, building its
        // request per call, once spread the arrivals out until at most one was ever waiting).
        StringBuilder pixels = new StringBuilder();
        for (int i = 0; i < 3 * 640 * 640; i++) {
            pixels.append(i == 0 ? "" : ",").append("0.5");
        }
        byte[] body = ("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,3,640,640],\"data\":[" + pixels + "]}]}")
                .getBytes(StandardCharsets.UTF_8);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest infer = HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + "/v2/models/ppocr-v4-det/infer"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        given().post("/v2/repository/models/ppocr-v4-det/load").then().statusCode(200);
        // Warm-up rehearses each model's serving path on its own thread after startup, holding a
        // lease while it runs: the gauges must come back to zero once it is done.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            String idle = given().header("Accept", "text/plain; version=0.0.4").get("/q/metrics").asString();
            assertEquals(0.0, value(idle, "ai_models_requests_waiting"));
            assertEquals(0.0, value(idle, "ai_model_requests_in_flight{model=\"ppocr-v4-det\"}"));
        });

        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            answers.add(pool.submit(() -> {
                go.await();
                return client.send(infer, HttpResponse.BodyHandlers.ofString());
            }));
        }
        go.countDown();
        double maxWaiting = 0;
        double maxTotal = 0;
        double maxInFlight = 0;
        boolean runningBesideWaiting = false;
        boolean readyThroughout = true;
        while (answers.stream().anyMatch(f -> !f.isDone())) {
            String metrics = given().header("Accept", "text/plain; version=0.0.4").get("/q/metrics").asString();
            double waiting = value(metrics, "ai_model_requests_waiting{model=\"ppocr-v4-det\"}");
            maxWaiting = Math.max(maxWaiting, waiting);
            maxTotal = Math.max(maxTotal, value(metrics, "ai_models_requests_waiting"));
            double inFlight = value(metrics, "ai_model_requests_in_flight{model=\"ppocr-v4-det\"}");
            maxInFlight = Math.max(maxInFlight, inFlight);
            runningBesideWaiting |= waiting > 0 && inFlight > waiting;
            if (waiting > 0) {
                readyThroughout &= given().get("/q/health/ready").statusCode() == 200;
            }
            Thread.sleep(20);
        }
        for (Future<HttpResponse<String>> f : answers) {
            assertEquals(200, f.get(120, TimeUnit.SECONDS).statusCode());
        }
        pool.shutdown();
        System.out.printf("scaling gauges under 8 requests on 1 worker: waiting up to %.0f (total %.0f), in flight up to %.0f%n",
                maxWaiting, maxTotal, maxInFlight);
        assertTrue(maxWaiting >= 2, "requests were seen waiting: " + maxWaiting);
        assertTrue(maxTotal >= maxWaiting, "the total counts them: " + maxTotal);
        assertTrue(maxInFlight >= maxWaiting, "in flight counts the waiting ones: " + maxInFlight);
        assertTrue(runningBesideWaiting, "in flight counts the running one too: no scrape saw more in flight than waiting");
        assertTrue(readyThroughout, "readiness stayed UP while requests queued");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals(0.0, value(
                given().header("Accept", "text/plain; version=0.0.4").get("/q/metrics").asString(), "ai_models_requests_in_flight")));
    }
}
