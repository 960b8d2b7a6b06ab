package dev.kiln.routing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.testing.Json;
import dev.kiln.testing.Startup;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.kiln.routing.VersionedMiniLm.NAME;
import static dev.kiln.routing.VersionedMiniLm.hello;
import static dev.kiln.routing.VersionedMiniLm.infer;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What lists models shows a model of two versions once, with its versions inside (the index: a row per version). */
@QuarkusTest
class VersionListingsTest {

    @BeforeEach
    void twoVersions() throws Exception {
        Startup.awaitStarted();
        VersionedMiniLm.write();
        infer(NAME + "/versions/2", hello()).statusCode(200);
    }

    @AfterEach
    void remove() throws Exception {
        VersionedMiniLm.remove();
    }

    @Test
    void modelsStatusHasOneEntryWithItsVersions() {
        JsonNode status = Json.of(given().get("/api/v1/setup/models/status").then().statusCode(200));
        List<JsonNode> mine = new ArrayList<>();
        status.get("installed_models").forEach(m -> {
            if (m.get("name").asText().equals(NAME)) {
                mine.add(m);
            }
        });
        assertEquals(1, mine.size(), "one entry per model");
        JsonNode m = mine.get(0);
        assertEquals(2, m.get("default_version").asInt());
        assertEquals("all", m.get("version_policy").asText());
        assertEquals(2, m.get("versions").size());
        assertEquals(1, m.get("versions").get(0).get("version").asInt());
        assertEquals("READY", m.get("versions").get(1).get("state").asText());
        assertEquals(100.0, m.get("versions").get(1).get("traffic_percent").asDouble());
        assertEquals(status.get("installed_models").size(), status.get("total_models_count").asInt());
        int loaded = 0;
        for (JsonNode e : status.get("installed_models")) {
            loaded += e.get("loaded").asBoolean() ? 1 : 0;
        }
        assertEquals(loaded, status.get("loaded_models_count").asInt(), "the seed's count agrees with the entries");
    }

    @Test
    void v2IndexStatsTelemetryAndMetricsCarryTheVersion() {
        List<String> rows = new ArrayList<>();
        Json.of(V2.index().statusCode(200)).forEach(r -> {
            if (r.get("name").asText().equals(NAME)) {
                rows.add(r.get("version").asText() + (r.get("version").asText().equals("2") ? ":" + r.get("state").asText() : ""));
            }
        });
        assertEquals(List.of("1", "2:READY"), rows, "a row per version");
        JsonNode stats = Json.of(given().get("/v2/models/" + NAME + "/stats").then().statusCode(200)).get("model_stats");
        assertEquals(2, stats.size());
        assertEquals(1, stats.get(1).get("inference_count").asLong(), "version 2 served one");
        JsonNode telemetry = Json.of(given().get("/api/v1/setup/ai-models/telemetry").then().statusCode(200)).get("models").get(NAME);
        assertEquals(1, telemetry.get("usage_count").asLong());
        assertTrue(telemetry.get("versions").has("1") && telemetry.get("versions").has("2"), telemetry.toString());
        String metrics = given().header("Accept", "text/plain; version=0.0.4").get("/q/metrics").asString();
        assertTrue(metrics.contains("ai_model_inference_requests_total{category=\"text\",model=\"" + NAME
                + "\",outcome=\"success\",version=\"2\",} 1.0"), "the version label");
        assertTrue(metrics.contains("ai_model_loaded{category=\"text\",model=\"" + NAME + "\",version=\"2\",} 1.0"));
    }
}
