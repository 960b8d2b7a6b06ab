package dev.kiln.routing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.runtime.TinyOnnx;
import dev.kiln.testing.Startup;
import dev.kiln.testing.TestRepository;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static dev.kiln.routing.VersionedMiniLm.NAME;
import static dev.kiln.routing.VersionedMiniLm.hello;
import static dev.kiln.routing.VersionedMiniLm.infer;
import static dev.kiln.routing.VersionedMiniLm.json;
import static dev.kiln.routing.VersionedMiniLm.numbers;
import static dev.kiln.routing.VersionedMiniLm.post;
import static dev.kiln.routing.VersionedMiniLm.put;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Aliases, a weighted split, request ids that stick, shadow copies, promote and roll back, on two MiniLM versions. */
@QuarkusTest
class VersionTrafficTest {

    static final Map<String, Object> CANARY_10 = Map.of("aliases", Map.of("stable", 1, "canary", 2),
            "weights", Map.of("stable", 90, "canary", 10));

    @BeforeEach
    void twoVersions() throws Exception {
        Startup.awaitStarted();
        VersionedMiniLm.write();
    }

    @AfterEach
    void remove() throws Exception {
        VersionedMiniLm.remove();
    }

    @Test
    void ninetyTenOverTwoThousandRequestsLandsTenPercentOnTheCanary() throws Exception {
        put("routing", CANARY_10).statusCode(200).body("versions[1].traffic_percent", equalTo(10.0f));
        String[] got = Clients.versions(2000, 4, i -> Clients.infer(NAME, null, null));
        long canary = Arrays.stream(got).filter("2"::equals).count();
        System.out.println("90/10 split over 2000 requests: " + canary + " on the canary");
        assertTrue(canary >= 160 && canary <= 240, "canary took " + canary + " of 2000");
        assertEquals(2000 - canary, Arrays.stream(got).filter("1"::equals).count(), "the rest on stable");
    }

    @Test
    void aRequestIdAlwaysLandsOnTheSameVersion() throws Exception {
        put("routing", CANARY_10).statusCode(200);
        int ids = 100;
        String[] byHeader = Clients.versions(ids * 3, 4, i -> Clients.infer(NAME, "ignored-" + i, "req-" + (i % ids)));
        String[] byBody = Clients.versions(ids, 4, i -> Clients.infer(NAME, "req-" + i, null));
        for (int i = 0; i < ids; i++) {
            assertEquals(byHeader[i], byHeader[i + ids], "req-" + i + " again");
            assertEquals(byHeader[i], byHeader[i + 2 * ids], "req-" + i + " a third time");
            assertEquals(byHeader[i], byBody[i], "req-" + i + " as the body's id lands where the header's did");
        }
        long canary = Arrays.stream(byBody).filter("2"::equals).count();
        assertTrue(canary > 0 && canary < 30, "ids spread by weight too: " + canary + " of " + ids + " on the canary");
    }

    @Test
    void shadowCopiesNeverChangeAnAnswerAndShowInTheStats() throws Exception {
        List<Double> stable = numbers(json(infer(NAME + "/versions/1", hello()).statusCode(200)));
        infer(NAME + "/versions/2", hello()).statusCode(200);
        put("routing", Map.of("aliases", Map.of("stable", 1, "canary", 2), "weights", Map.of("stable", 100), "shadow", "canary"))
                .statusCode(200).body("shadow_version", equalTo(2));
        for (int i = 0; i < 30; i++) {
            JsonNode a = json(infer(NAME, hello()).statusCode(200));
            assertEquals("1", a.get("model_version").asText());
            assertEquals(stable, numbers(a), "answer " + i + " is stable's, to the bit");
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> shadowOfVersion2().path("compared").asLong()
                + shadowOfVersion2().path("dropped").asLong() >= 30);
        JsonNode shadow = shadowOfVersion2();
        assertTrue(shadow.get("compared").asLong() >= 1, shadow.toString());
        assertEquals(0, shadow.get("errors").asLong(), shadow.toString());
        assertTrue(shadow.get("max_abs_diff").asDouble() > 0, "int8 and fp32 differ: " + shadow);
        assertTrue(shadow.get("min_cosine").asDouble() > 0.9, "but not by much: " + shadow);
        assertTrue(shadow.get("mean_latency_ms").asDouble() > 0, shadow.toString());
    }

    private static JsonNode shadowOfVersion2() {
        JsonNode stats = json(given().get("/v2/models/" + NAME + "/stats").then().statusCode(200));
        for (JsonNode s : stats.get("model_stats")) {
            if (s.get("version").asText().equals("2")) {
                return s.path("shadow");
            }
        }
        throw new AssertionError("no stats for version 2: " + stats);
    }

    /** Eight clients on the unversioned route while stable is promoted to the canary and rolled back, three times over. */
    @Test
    void promoteAndRollBackUnderLoadFailNothing() throws Exception {
        put("routing", CANARY_10).statusCode(200);
        infer(NAME + "/versions/1", hello()).statusCode(200);
        infer(NAME + "/versions/2", hello()).statusCode(200);
        Clients clients = Clients.start(8, i -> NAME);
        for (int round = 0; round < 3; round++) {
            Thread.sleep(300);
            post("promote", Map.of()).statusCode(200).body("aliases.stable", equalTo(2)).body("default_version", equalTo(2));
            assertTrue(VersionedMiniLm.manifest().contains("stable: 2"), "persisted: " + VersionedMiniLm.manifest());
            Thread.sleep(300);
            post("rollback", "").statusCode(200).body("aliases.stable", equalTo(1))
                    .body("versions[0].traffic_percent", equalTo(100.0f));
            assertTrue(VersionedMiniLm.manifest().contains("stable: 1"), "persisted: " + VersionedMiniLm.manifest());
        }
        Clients.Result r = clients.stop();
        assertEquals(Map.of(200, r.total()), r.byStatus(), "every request answered 200: " + r.samples());
        assertEquals(0, r.failures(), "none failed on the wire: " + r.samples());
        assertTrue(r.total() > 50, "load ran: " + r.total());
        assertTrue(r.versions().contains("2") && r.versions().contains("1"), "both versions answered");
    }

    @Test
    void badRoutingIsRefusedWithAReason() {
        put("routing", Map.of("weights", Map.of("canary", 10))).statusCode(400)
                .body("error", containsString("neither a version number nor an alias"));
        put("routing", Map.of("aliases", Map.of("stable", 7))).statusCode(409)
                .body("error", containsString("does not have"));
        put("version-policy", Map.of("latest", 0)).statusCode(400).body("error", containsString("latest"));
        post("rollback", "").statusCode(409).body("error", containsString("no stable alias"));
        given().delete("/api/v1/setup/models/" + NAME + "/versions/x").then().statusCode(400).body("error", containsString("'x'"));
        put("routing", CANARY_10).statusCode(200);
        given().delete("/api/v1/setup/models/" + NAME + "/versions/2").then().statusCode(409)
                .body("error", containsString("still named by its routing"));
    }

    /**
     * A canary that refuses what stable answers (its input is fixed at 2 elements; the requests send
     * 3): after 200 requests split 50/50, the telemetry recommends rolling it back, with the numbers,
     * and one rollback sends every call to stable again.
     */
    @Test
    void aCanaryClearlyWorseThanStableIsRecommendedForRollback() throws Exception {
        Path dir = TestRepository.ROOT.resolve("canary-bad");
        try {
            Files.createDirectories(dir.resolve("1"));
            Files.createDirectories(dir.resolve("2"));
            Files.write(dir.resolve("1/model.onnx"), TinyOnnx.identity(TinyOnnx.FLOAT, -1));
            Files.write(dir.resolve("2/model.onnx"), TinyOnnx.identity(TinyOnnx.FLOAT, 2));
            V2.rescanAndIndex().statusCode(200);
            given().contentType("application/json").body(Map.of("aliases", Map.of("stable", 1, "canary", 2),
                    "weights", Map.of("stable", 50, "canary", 50))).put("/api/v1/setup/models/canary-bad/routing").then().statusCode(200);
            Map<String, Object> three = Map.of("inputs", List.of(V2.input("X", "FP32", List.of(3L), List.of(1, 2, 3))));
            Map<Integer, Integer> statuses = new TreeMap<>();
            for (int i = 0; i < 200; i++) {
                statuses.merge(infer("canary-bad", three).extract().statusCode(), 1, Integer::sum);
            }
            assertEquals(Map.of(200, 100, 400, 100), statuses, "stable answers, the canary refuses");
            JsonNode advice = null;
            for (JsonNode r : json(given().get("/api/v1/setup/ai-models/telemetry").then().statusCode(200)).get("recommendations")) {
                if (r.get("model").asText().equals("canary-bad")) {
                    advice = r;
                }
            }
            assertTrue(advice != null, "a recommendation for canary-bad");
            assertEquals("Consider rolling back the canary (version 2)", advice.get("recommendation").asText());
            assertTrue(advice.get("reason").asText().contains("it fails 100.0% of 100 requests, stable 0.0% of 100"), advice.toString());
            given().post("/api/v1/setup/models/canary-bad/rollback").then().statusCode(200);
            for (int i = 0; i < 20; i++) {
                infer("canary-bad", three).statusCode(200).body("model_version", equalTo("1"));
            }
        } finally {
            TestRepository.delete("canary-bad");
        }
    }

    /** Malformed and hostile bodies and names to every versions endpoint: 2xx, or 4xx with a JSON error; never a 5xx. */
    @Test
    void hardInputToTheVersionsApiIsAlwaysAnswered() {
        List<String> bodies = List.of("", "{", "null", "[]", "\"x\"", "{}", "{\"a\":".repeat(2000), "{\"x\": 1e999999}",
                "{\"latest\": 99999999999999999999}", "{\"specific\": [1, 1, -1]}", "{\"aliases\": {\"Stable\": 1}}",
                "{\"aliases\": {\"stable\": \"1\"}}", "{\"weights\": {\"1\": -5}}", "{\"weights\": {\"1\": 0}}",
                "{\"shadow\": \"nobody\"}", "{\"shadow\": \"2\", \"shadow_percent\": 101}", "{\"version\": {}}",
                "{\"version\": \"../1\"}", "{\"version\": 2147483648}", "{\"alias\": \"\u0000\"}");
        List<String[]> endpoints = List.of(new String[]{"PUT", "routing"}, new String[]{"PUT", "version-policy"},
                new String[]{"PUT", "aliases/canary"}, new String[]{"PUT", "aliases/Bad%20Name"}, new String[]{"POST", "promote"},
                new String[]{"POST", "rollback"}, new String[]{"DELETE", "aliases/canary"}, new String[]{"DELETE", "versions/99"},
                new String[]{"GET", "versions"});
        List<String> wrong = new java.util.ArrayList<>();
        for (String model : List.of(NAME, "no-such-model", "Bad%20Name")) {
            for (String[] e : endpoints) {
                for (String body : bodies) {
                    var r = given().contentType("application/json").body(body).request(e[0], "/api/v1/setup/models/" + model + "/" + e[1]);
                    String text = r.asString();
                    boolean ok = r.statusCode() < 300 || r.statusCode() < 500 && text.contains("\"error\"");
                    if (!ok) {
                        wrong.add(e[0] + " " + model + "/" + e[1] + " " + body.substring(0, Math.min(40, body.length())) + " -> "
                                + r.statusCode() + " " + text.substring(0, Math.min(200, text.length())));
                    }
                }
            }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
        infer(NAME, hello()).statusCode(200);
    }
}
