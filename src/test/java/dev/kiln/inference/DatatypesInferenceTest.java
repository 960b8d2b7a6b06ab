package dev.kiln.inference;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.testing.Json;
import dev.kiln.testing.TestRepository;
import dev.kiln.runtime.TinyOnnx;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every tensor type ONNX Runtime Java can create goes through a real session and comes back intact. */
@QuarkusTest
class DatatypesInferenceTest {

    record Case(String datatype, int onnxType, List<?> data) {
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                new Case("FP32", TinyOnnx.FLOAT, List.of(1.5, -2.25, 3.0e-3)),
                new Case("FP64", TinyOnnx.DOUBLE, List.of(1.0000000001, -1e300, 0.1)),
                new Case("FP16", TinyOnnx.FLOAT16, List.of(0.5, -1.25, 2048.0)),
                new Case("INT8", TinyOnnx.INT8, List.of(-128, 0, 127)),
                new Case("UINT8", TinyOnnx.UINT8, List.of(0, 128, 255)),
                new Case("INT16", TinyOnnx.INT16, List.of(-32768, 1, 32767)),
                new Case("INT32", TinyOnnx.INT32, List.of(-2147483648, 7, 2147483647)),
                new Case("INT64", TinyOnnx.INT64, List.of(-5L, 0L, 9007199254740993L)),
                new Case("BOOL", TinyOnnx.BOOL, List.of(true, false, true)),
                new Case("BYTES", TinyOnnx.STRING, List.of("héllo", "", "kiln"))
        ).map(Arguments::of);
    }

    static String modelFor(String datatype) {
        return "tiny-" + datatype.toLowerCase();
    }

    @BeforeAll
    static void writeModels() throws Exception {
        for (Arguments a : cases().toList()) {
            Case c = (Case) a.get()[0];
            TestRepository.writeModel(modelFor(c.datatype()), TinyOnnx.identity(c.onnxType(), -1));
        }
        TestRepository.writeModel("tiny-dynamic", TinyOnnx.doubler(-1, 2));
    }

    @AfterAll
    static void removeModels() throws Exception {
        for (Arguments a : cases().toList()) {
            TestRepository.delete(modelFor(((Case) a.get()[0]).datatype()));
        }
        TestRepository.delete("tiny-dynamic");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void identityRoundTrip(Case c) {
        V2.rescanAndIndex().statusCode(200);
        JsonNode body = Json.of(V2.infer(modelFor(c.datatype()), Map.of("id", "rt-" + c.datatype(),
                "inputs", List.of(V2.input("X", c.datatype(), List.of(3L), c.data())))).statusCode(200));

        assertEquals("rt-" + c.datatype(), body.get("id").asText());
        JsonNode out = body.get("outputs").get(0);
        assertEquals("Y", out.get("name").asText());
        assertEquals(c.datatype(), out.get("datatype").asText());
        assertEquals("[3]", out.get("shape").toString());
        for (int i = 0; i < 3; i++) {
            Object expected = c.data().get(i);
            JsonNode actual = out.get("data").get(i);
            if (expected instanceof Double d) {
                assertEquals(c.datatype().equals("FP64") ? d : (double) (float) (double) d, actual.asDouble(),
                        c.datatype().equals("FP64") ? 0 : Math.abs(d) * 1e-6, "value " + i);
            } else if (expected instanceof Boolean b) {
                assertEquals(b, actual.asBoolean());
            } else if (expected instanceof String s) {
                assertEquals(s, actual.asText());
            } else {
                assertEquals(((Number) expected).longValue(), actual.asLong(), "value " + i);
            }
        }
    }

    @Test
    void dynamicDimensionTakesAnySizeAndNestedData() {
        V2.rescanAndIndex().statusCode(200);
        for (int rows : new int[]{1, 3}) {
            List<List<Double>> data = new java.util.ArrayList<>();
            for (int r = 0; r < rows; r++) {
                data.add(List.of(r + 0.5, -r - 0.25));
            }
            JsonNode out = Json.of(V2.infer("tiny-dynamic", Map.of("inputs",
                    List.of(V2.input("X", "FP32", List.of((long) rows, 2L), data)))).statusCode(200))
                    .get("outputs").get(0);
            assertEquals("[" + rows + ",2]", out.get("shape").toString());
            assertEquals((rows - 1 + 0.5) * 2, out.get("data").get((rows - 1) * 2).asDouble(), 1e-6);
        }
    }

    /** A number too large for its float type was turned into Infinity without a word; integers were always checked. */
    @Test
    void floatsThatOverflowTheirTypeAreRefusedAndInfinitySpeltOutIsKept() {
        V2.rescanAndIndex().statusCode(200);
        V2.infer("tiny-fp32", Map.of("inputs", List.of(V2.input("X", "FP32", List.of(1L), List.of(new java.math.BigDecimal("1e39"))))))
                .statusCode(400).body("error", containsString("out of range for FP32"));
        V2.infer("tiny-fp16", Map.of("inputs", List.of(V2.input("X", "FP16", List.of(1L), List.of(70000)))))
                .statusCode(400).body("error", containsString("out of range for FP16"));
        V2.infer("tiny-fp64", Map.of("inputs", List.of(V2.input("X", "FP64", List.of(1L), List.of(new java.math.BigDecimal("1e400"))))))
                .statusCode(400).body("error", containsString("out of range for FP64"));
        V2.infer("tiny-fp16", Map.of("inputs", List.of(V2.input("X", "FP16", List.of(2L), List.of(65504, "-Infinity")))))
                .statusCode(200).body(containsString("[65504.0,\"-Infinity\"]"));
    }

    /**
     * Each BYTES element becomes a Java String and a native string: 8,000,000 empty ones (32 MB on the
     * wire, within every byte limit) took the heap (507). At most 65,536 in one tensor, JSON or binary.
     */
    @Test
    void aBytesTensorHoldsAtMost65536Elements() throws Exception {
        V2.rescanAndIndex().statusCode(200);
        java.util.List<String> fits = java.util.Collections.nCopies(65_536, "");
        V2.infer("tiny-bytes", Map.of("inputs", List.of(V2.input("X", "BYTES", List.of(65_536L), fits)))).statusCode(200);
        V2.infer("tiny-bytes", Map.of("inputs", List.of(V2.input("X", "BYTES", List.of(65_537L), java.util.Collections.nCopies(65_537, "")))))
                .statusCode(400).body("error", containsString("holds 65537 BYTES elements; at most 65536"));
        String header = "{\"inputs\":[{\"name\":\"X\",\"datatype\":\"BYTES\",\"shape\":[8000000],"
                + "\"parameters\":{\"binary_data_size\":32000000}}]}";
        byte[] h = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] body = java.util.Arrays.copyOf(h, h.length + 32_000_000); // 8,000,000 zero lengths
        io.restassured.RestAssured.given().header("Inference-Header-Content-Length", h.length).contentType("application/octet-stream")
                .body(body).post("/v2/models/tiny-bytes/infer").then().statusCode(400)
                .body("error", containsString("holds 8000000 BYTES elements; at most 65536"));
    }

    /** One 12 MB element of control characters answered 72 MB of JSON ("\u0001" each), past max-answer-bytes. */
    @Test
    void aBytesAnswerIsWeighedAsTheJsonItPrints() {
        V2.rescanAndIndex().statusCode(200);
        int n = 12_000_000;
        String header = "{\"inputs\":[{\"name\":\"X\",\"datatype\":\"BYTES\",\"shape\":[1],"
                + "\"parameters\":{\"binary_data_size\":" + (n + 4) + "}}]}";
        byte[] h = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] body = new byte[h.length + 4 + n];
        System.arraycopy(h, 0, body, 0, h.length);
        java.nio.ByteBuffer.wrap(body, h.length, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(n);
        java.util.Arrays.fill(body, h.length + 4, body.length, (byte) 1);
        io.restassured.RestAssured.given().header("Inference-Header-Content-Length", h.length).contentType("application/octet-stream")
                .body(body).post("/v2/models/tiny-bytes/infer").then().statusCode(413)
                .body("error", containsString("as JSON strings, more than Kiln writes"));
    }

    @Test
    void metadataReportsDynamicDimensionsAsMinusOne() {
        V2.rescanAndIndex().statusCode(200);
        io.restassured.RestAssured.get("/v2/models/tiny-dynamic").then().statusCode(200)
                .body(containsString("\"shape\":[-1,2]"))
                .body(containsString("\"platform\":\"onnx_onnxv1\""));
    }
}
