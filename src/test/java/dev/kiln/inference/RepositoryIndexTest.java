package dev.kiln.inference;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.testing.Json;
import dev.kiln.testing.TestRepository;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The repository extension: rescans, load/unload, bare directories and broken models. */
@QuarkusTest
class RepositoryIndexTest {

    static final List<String> DEMO = List.of("all-minilm-l6-v2", "all-minilm-l6-v2-q", "ppocr-cls", "ppocr-v4-det", "ppocr-v4-rec");

    @AfterEach
    void cleanUp() throws Exception {
        for (String name : List.of("bare-cls", "corrupt-model", "broken-yaml", "off-model")) {
            TestRepository.delete(name);
        }
        V2.rescanAndIndex().statusCode(200);
    }

    static Map<String, JsonNode> index() {
        Map<String, JsonNode> byName = new HashMap<>();
        Json.of(V2.rescanAndIndex().statusCode(200)).forEach(m -> byName.put(m.get("name").asText(), m));
        return byName;
    }

    @Test
    void indexListsTheFiveDemoModelsWithStates() {
        Map<String, JsonNode> index = index();
        for (String name : DEMO) {
            JsonNode m = index.get(name);
            assertTrue(m != null, name + " listed");
            assertEquals("1", m.get("version").asText());
            assertTrue(List.of("READY", "UNAVAILABLE", "LOADING", "UNLOADING").contains(m.get("state").asText()));
            assertTrue(m.has("reason"));
        }
    }

    @Test
    void theIndexIsAReadAndARescanPicksUpTheDisk() throws Exception {
        Path dir = Files.createDirectories(TestRepository.ROOT.resolve("bare-cls"));
        Files.copy(TestRepository.ROOT.resolve("ppocr-cls/model.onnx"), dir.resolve("model.onnx"));
        Map<String, JsonNode> quiet = new HashMap<>();
        Json.of(V2.index().statusCode(200)).forEach(m -> quiet.put(m.get("name").asText(), m));
        assertFalse(quiet.containsKey("bare-cls"), "the index does not scan the disk");
        assertTrue(index().containsKey("bare-cls"), "a rescan does");

        TestRepository.delete("bare-cls");
        Map<String, JsonNode> stale = new HashMap<>();
        Json.of(V2.index().statusCode(200)).forEach(m -> stale.put(m.get("name").asText(), m));
        assertTrue(stale.containsKey("bare-cls"), "nothing is dropped by listing");
        assertFalse(index().containsKey("bare-cls"), "the rescan drops it");
    }

    @Test
    void anExplicitLoadPicksUpANewDirectoryByName() throws Exception {
        Path dir = Files.createDirectories(TestRepository.ROOT.resolve("bare-cls"));
        Files.copy(TestRepository.ROOT.resolve("ppocr-cls/model.onnx"), dir.resolve("model.onnx"));
        given().post("/v2/repository/models/bare-cls/load").then().statusCode(200).body("state", equalTo("READY"));
        given().post("/v2/repository/models/never-there/load").then().statusCode(404);
    }

    @Test
    void loadAndUnloadChangeTheState() {
        given().post("/v2/repository/models/ppocr-cls/unload").then().statusCode(200)
                .body("state", equalTo("UNAVAILABLE"));
        assertEquals("UNAVAILABLE", index().get("ppocr-cls").get("state").asText());
        assertEquals("not loaded: unloaded by an operator", index().get("ppocr-cls").get("reason").asText());
        given().get("/v2/models/ppocr-cls/ready").then().statusCode(400).body("ready", equalTo(false));

        given().post("/v2/repository/models/ppocr-cls/load").then().statusCode(200).body("state", equalTo("READY"));
        assertEquals("READY", index().get("ppocr-cls").get("state").asText());
        given().get("/v2/models/ppocr-cls/ready").then().statusCode(200).body("ready", equalTo(true));
    }

    @Test
    void bareDirectoryAppearsAfterRescanAndServes() throws Exception {
        Path dir = Files.createDirectories(TestRepository.ROOT.resolve("bare-cls"));
        Files.copy(TestRepository.ROOT.resolve("ppocr-cls/model.onnx"), dir.resolve("model.onnx"));
        JsonNode listed = index().get("bare-cls");
        assertEquals("READY", listed.get("state").asText(), "a model that must be resident appears loaded, as a replica follows an install");

        float[] pixels = new float[3 * 48 * 192];
        java.util.Arrays.fill(pixels, 0.5f);
        V2.infer("bare-cls", Map.of("inputs", List.of(V2.input("x", "FP32", List.of(1L, 3L, 48L, 192L), pixels))))
                .statusCode(200).body("outputs[0].shape", equalTo(List.of(1, 2)));
        assertEquals("READY", index().get("bare-cls").get("state").asText());

        TestRepository.delete("bare-cls");
        assertFalse(index().containsKey("bare-cls"), "a removed directory leaves the index");
    }

    @Test
    void corruptModelFailsWithOnnxRuntimeReasonAndOthersKeepServing() throws Exception {
        Path dir = Files.createDirectories(TestRepository.ROOT.resolve("corrupt-model"));
        Files.write(dir.resolve("model.onnx"), "this is not an onnx model".getBytes());
        index();

        given().post("/v2/repository/models/corrupt-model/load").then().statusCode(500)
                .body("error", containsString("failed to load"))
                .body("error", containsString("ORT_INVALID_PROTOBUF"));
        JsonNode entry = index().get("corrupt-model");
        assertEquals("UNAVAILABLE", entry.get("state").asText());
        assertTrue(entry.get("reason").asText().startsWith("failed: "), entry.toString());
        assertTrue(entry.get("reason").asText().contains("ORT_INVALID_PROTOBUF"), entry.toString());

        V2.infer("corrupt-model", V2.helloWorld()).statusCode(503).body("error", containsString("failed to load"));
        V2.infer("all-minilm-l6-v2-q", V2.helloWorld()).statusCode(200);
    }

    @Test
    void invalidManifestIsReportedNotFatal() throws Exception {
        Path dir = Files.createDirectories(TestRepository.ROOT.resolve("broken-yaml"));
        Files.copy(TestRepository.ROOT.resolve("ppocr-cls/model.onnx"), dir.resolve("model.onnx"));
        Files.writeString(dir.resolve("model.yaml"), "name: broken-yaml\nlazyload: yes\n");
        JsonNode entry = index().get("broken-yaml");
        assertEquals("UNAVAILABLE", entry.get("state").asText());
        assertTrue(entry.get("reason").asText().contains("model.yaml is not valid"), entry.toString());
    }

    @Test
    void disabledModelRefusesInferenceWith409() throws Exception {
        Path dir = Files.createDirectories(TestRepository.ROOT.resolve("off-model"));
        Files.copy(TestRepository.ROOT.resolve("ppocr-cls/model.onnx"), dir.resolve("model.onnx"));
        Files.writeString(dir.resolve("model.yaml"), "enabled: false\ncategory: image\n");
        assertTrue(index().get("off-model").get("reason").asText().startsWith("disabled"));
        V2.infer("off-model", Map.of("inputs", List.of(V2.input("x", "FP32", List.of(1L, 3L, 1L, 1L), List.of(1, 1, 1)))))
                .statusCode(409).body("error", containsString("disabled"));
        given().post("/v2/repository/models/off-model/load").then().statusCode(409);
    }
}
