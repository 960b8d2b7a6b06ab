package dev.kiln.routing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.testing.Json;
import dev.kiln.testing.TestRepository;
import dev.kiln.testing.V2;
import io.restassured.response.ValidatableResponse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;

/**
 * A model of two versions made of the demo MiniLMs: the int8 build as version 1, the fp32 build as
 * version 2 ({@code <repo>/minilm-v/1/model.onnx}, {@code 2/model.onnx}, one shared model.yaml).
 */
final class VersionedMiniLm {

    static final String NAME = "minilm-v";
    static final String INT8 = "all-minilm-l6-v2-q";
    static final String FP32 = "all-minilm-l6-v2";
    static final String MANIFEST = "name: " + NAME + "\ncategory: text\nlazy_load: true\n";

    private VersionedMiniLm() {
    }

    /** Writes (or writes again) both versions and a manifest without routing, then rescans. */
    static void write() throws Exception {
        Path dir = TestRepository.ROOT.resolve(NAME);
        copy(INT8, Files.createDirectories(dir.resolve("1")));
        copy(FP32, Files.createDirectories(dir.resolve("2")));
        Files.writeString(dir.resolve("model.yaml"), MANIFEST);
        V2.rescanAndIndex().statusCode(200);
    }

    /** Takes the model away (files and registry), so other tests' listings are as they expect. */
    static void remove() throws Exception {
        TestRepository.delete(NAME);
        V2.rescanAndIndex().statusCode(200);
    }

    private static void copy(String demo, Path to) throws Exception {
        Path file = to.resolve("model.onnx");
        if (!Files.exists(file) || Files.size(file) != Files.size(TestRepository.ROOT.resolve(demo).resolve("model.onnx"))) {
            Files.copy(TestRepository.ROOT.resolve(demo).resolve("model.onnx"), file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static String manifest() throws Exception {
        return Files.readString(TestRepository.ROOT.resolve(NAME).resolve("model.yaml"));
    }

    /** MiniLM's request for "[CLS] hello world [SEP]" without an id (so the route is not fixed by one). */
    static Map<String, Object> hello() {
        Map<String, Object> body = new java.util.HashMap<>(V2.helloWorld());
        body.remove("id");
        return body;
    }

    static ValidatableResponse infer(String path, Object body) {
        return given().contentType("application/json").body(body).post("/v2/models/" + path + "/infer").then();
    }

    /** The first output's numbers of an answer. */
    static List<Double> numbers(JsonNode answer) {
        List<Double> out = new ArrayList<>();
        answer.get("outputs").get(0).get("data").forEach(v -> out.add(v.asDouble()));
        return out;
    }

    static JsonNode json(ValidatableResponse r) {
        return Json.of(r);
    }

    static ValidatableResponse put(String what, Object body) {
        return given().contentType("application/json").body(body).put("/api/v1/setup/models/" + NAME + "/" + what).then();
    }

    static ValidatableResponse post(String what, Object body) {
        return given().contentType("application/json").body(body).post("/api/v1/setup/models/" + NAME + "/" + what).then();
    }
}
