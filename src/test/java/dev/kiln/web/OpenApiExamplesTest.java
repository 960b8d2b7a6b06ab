package dev.kiln.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.testing.Json;
import dev.kiln.testing.Startup;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** /q/openapi carries the captured examples, and each still has exactly a live response's fields. */
@QuarkusTest
class OpenApiExamplesTest {

    static TreeSet<String> fields(JsonNode node) {
        TreeSet<String> names = new TreeSet<>();
        JsonNode n = node.isArray() ? node.get(0) : node;
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }

    @Test
    void examplesAreServedAndMatchLiveResponses() throws Exception {
        Startup.awaitStarted();
        V2.infer("all-minilm-l6-v2-q", V2.helloWorld()).statusCode(200); // at least one model resident for /ai-models/loaded
        JsonNode doc = new ObjectMapper().readTree(given().queryParam("format", "json").get("/q/openapi").asString());
        for (Map.Entry<String, String> e : OpenApiExamples.EXAMPLES.entrySet()) {
            String[] mp = e.getKey().split(" ", 2);
            JsonNode example = doc.path("paths").path(mp[1]).path(mp[0].toLowerCase()).path("responses").path("200")
                    .path("content").path("application/json").path("examples").path("demo").path("value");
            assertFalse(example.isMissingNode(), "example served for " + e.getKey());
            JsonNode live = switch (e.getKey()) {
                case "POST /v2/models/{model}/infer" -> Json.of(V2.infer("all-minilm-l6-v2-q", V2.helloWorld()).statusCode(200));
                case "POST /v2/repository/index" -> Json.of(V2.index().statusCode(200));
                default -> Json.of(given().request(mp[0], mp[1]).then().statusCode(200));
            };
            assertEquals(fields(live), fields(example), "top-level fields of " + e.getKey());
            for (String list : List.of("models", "installed_models")) {
                if (example.has(list)) {
                    assertSameFieldsAsExample(e.getKey() + " " + list, live.get(list), example.get(list));
                }
            }
        }
    }

    /**
     * A list of models (an array, or an object by name) has at least one entry, and each entry the
     * example's fields; an object of plain values (the status's counts) has the example's fields.
     */
    private static void assertSameFieldsAsExample(String what, JsonNode live, JsonNode example) {
        assertNotNull(live, what);
        JsonNode shape = example.elements().next();
        if (!shape.isObject()) {
            assertEquals(fields(example), fields(live), what);
            return;
        }
        assertTrue(live.size() > 0, what + ": no entry to compare in " + live);
        for (JsonNode entry : live) {
            assertEquals(fields(shape), fields(entry), what + ": fields of " + entry);
        }
    }
}
