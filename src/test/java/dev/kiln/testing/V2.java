package dev.kiln.testing;

import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;

import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;

/** Small helpers for V2 requests in tests. */
public final class V2 {

    private V2() {
    }

    public static Map<String, Object> input(String name, String datatype, List<Long> shape, Object data) {
        return Map.of("name", name, "datatype", datatype, "shape", shape, "data", data);
    }

    public static ValidatableResponse infer(String model, Object body) {
        return given().contentType(ContentType.JSON).body(body)
                .when().post("/v2/models/" + model + "/infer").then();
    }

    /** The V2 repository index: a read, it changes nothing. */
    public static ValidatableResponse index() {
        return given().contentType(ContentType.JSON).body("{}").when().post("/v2/repository/index").then();
    }

    /** Reads the repository directory again (admin; the test profile is open), then the index. */
    public static ValidatableResponse rescanAndIndex() {
        given().post("/api/v1/setup/ai-models/rescan").then().statusCode(200);
        return index();
    }

    /** The MiniLM request for "[CLS] hello world [SEP]". */
    public static Map<String, Object> helloWorld() {
        return Map.of("id", "hello", "inputs", List.of(
                input("input_ids", "INT64", List.of(1L, 4L), List.of(101, 7592, 2088, 102)),
                input("attention_mask", "INT64", List.of(1L, 4L), List.of(1, 1, 1, 1)),
                input("token_type_ids", "INT64", List.of(1L, 4L), List.of(0, 0, 0, 0))));
    }
}
