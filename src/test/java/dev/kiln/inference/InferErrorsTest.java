package dev.kiln.inference;

import dev.kiln.runtime.TinyOnnx;
import dev.kiln.testing.TestRepository;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** Every client mistake gets a 4xx and {"error": "..."} saying what was wrong. */
@QuarkusTest
class InferErrorsTest {

    private static final String MINILM = "all-minilm-l6-v2-q";

    @BeforeAll
    static void tinyInt8() throws Exception {
        TestRepository.writeModel("err-int8", TinyOnnx.identity(TinyOnnx.INT8, 2));
    }

    @AfterAll
    static void cleanUp() throws Exception {
        TestRepository.delete("err-int8");
    }

    private static void expect400(String model, Object body, String message) {
        V2.infer(model, body).statusCode(400).contentType(ContentType.JSON).body("error", containsString(message));
    }

    private static Map<String, Object> minilm(Object... inputs) {
        return Map.of("inputs", List.of(inputs));
    }

    @Test
    void malformedJson() {
        given().contentType(ContentType.JSON).body("{\"inputs\": [").post("/v2/models/" + MINILM + "/infer")
                .then().statusCode(400).body("error", containsString("malformed JSON"));
    }

    @Test
    void emptyBodyAndMissingInputs() {
        given().contentType(ContentType.JSON).post("/v2/models/" + MINILM + "/infer")
                .then().statusCode(400).body("error", containsString("empty"));
        expect400(MINILM, Map.of("id", "x"), "'inputs' is missing");
    }

    @Test
    void wrongFieldType() {
        expect400(MINILM, Map.of("inputs", List.of(Map.of("name", "input_ids", "datatype", "INT64",
                "shape", "four", "data", List.of(1)))), "shape");
    }

    @Test
    void wrongDatatype() {
        expect400(MINILM, minilm(V2.input("input_ids", "FP32", List.of(1L, 1L), List.of(1.0))),
                "datatype FP32 does not match the model's INT64");
        expect400(MINILM, minilm(V2.input("input_ids", "FLOAT", List.of(1L, 1L), List.of(1.0))),
                "unknown datatype 'FLOAT'");
    }

    @Test
    void wrongShape() {
        expect400(MINILM, minilm(V2.input("input_ids", "INT64", List.of(4L), List.of(1, 2, 3, 4))),
                "has rank 1 but the model expects rank 2");
        expect400(MINILM, minilm(V2.input("input_ids", "INT64", List.of(1L, 3L), List.of(1, 2, 3, 4))),
                "data has more than the 3 values its shape holds");
        expect400("ppocr-cls", Map.of("inputs", List.of(V2.input("x", "FP32", List.of(1L, 4L, 1L, 1L),
                List.of(0.1, 0.2, 0.3, 0.4)))), "does not match the model's [-1, 3, -1, -1] at dimension 1");
        expect400(MINILM, minilm(V2.input("input_ids", "INT64", List.of(1L, -2L), List.of(1, 2))),
                "negative dimension");
    }

    @Test
    void missingAndUnknownInputs() {
        expect400(MINILM, minilm(V2.input("input_ids", "INT64", List.of(1L, 1L), List.of(101))),
                "missing input(s) [attention_mask, token_type_ids]");
        expect400(MINILM, minilm(V2.input("pixels", "INT64", List.of(1L), List.of(1))),
                "unknown input 'pixels'");
    }

    @Test
    void unknownOutput() {
        Map<String, Object> body = new java.util.HashMap<>(V2.helloWorld());
        body.put("outputs", List.of(Map.of("name", "pooled")));
        expect400(MINILM, body, "unknown output 'pooled'");
    }

    /** Each copy was answered again, past max-answer-bytes (weighed once): 80 MB answers, a silent hang, OOM. */
    @Test
    void anOutputAskedForTwice() {
        Map<String, Object> body = new java.util.HashMap<>(V2.helloWorld());
        body.put("outputs", List.of(Map.of("name", "last_hidden_state"),
                Map.of("name", "last_hidden_state", "parameters", Map.of("binary_data", true))));
        expect400(MINILM, body, "output 'last_hidden_state' is asked for more than once");
    }

    @Test
    void badValues() {
        V2.rescanAndIndex().statusCode(200);
        expect400("err-int8", minilm(V2.input("X", "INT8", List.of(2L), List.of(1, 300))), "out of range for INT8");
        expect400("err-int8", minilm(V2.input("X", "INT8", List.of(2L), List.of(1, 2.5))), "must be an integer");
        expect400("ppocr-cls", Map.of("inputs", List.of(V2.input("x", "FP32", List.of(1L, 3L, 1L, 1L),
                List.of(0.1, "a", 0.3)))), "must be a number");
    }

    @Test
    void unknownModelIs404AndBadNameIs400() {
        V2.infer("no-such-model", V2.helloWorld()).statusCode(404)
                .body("error", equalTo("unknown model 'no-such-model'"));
        V2.infer("Bad_Name", V2.helloWorld()).statusCode(400).body("error", containsString("invalid model name"));
        given().get("/v2/models/no-such-model").then().statusCode(404).body("error", containsString("unknown model"));
        given().post("/v2/repository/models/no-such-model/load").then().statusCode(404);
    }

    @Test
    void outputsFilterReturnsOnlyWhatWasAsked() {
        Map<String, Object> body = new java.util.HashMap<>(V2.helloWorld());
        body.put("outputs", List.of(Map.of("name", "last_hidden_state")));
        body.put("parameters", Map.of("priority", 1));
        V2.infer(MINILM, body).statusCode(200).body("outputs.size()", equalTo(1));
    }
}
