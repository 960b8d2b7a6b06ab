package dev.kiln.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.runtime.TinyOnnx;
import dev.kiln.testing.DirectOrt;
import dev.kiln.testing.TestRepository;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The V2 binary tensor data extension as KServe and Triton define it, requests built byte by byte
 * from the spec and answers checked byte by byte: the JSON header's length in
 * Inference-Header-Content-Length, then each binary input's bytes in order (little-endian,
 * row-major; BYTES elements as a 4-byte length and the bytes).
 */
@QuarkusTest
class BinaryTensorsTest {

    static final String MINILM = "all-minilm-l6-v2-q";
    static final String HEADER = "Inference-Header-Content-Length";
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeEach
    void models() throws Exception {
        TestRepository.writeModel("bin-bytes", TinyOnnx.identity(TinyOnnx.STRING, -1));
        TestRepository.writeModel("bin-fp16", TinyOnnx.identity(TinyOnnx.FLOAT16, -1));
        TestRepository.writeModel("bin-constant", TinyOnnx.constant(1.5f, -2f, 0.25f));
        V2.rescanAndIndex().statusCode(200);
    }

    @AfterEach
    void remove() throws Exception {
        for (String m : new String[]{"bin-bytes", "bin-fp16", "bin-constant"}) {
            TestRepository.delete(m);
        }
        V2.rescanAndIndex().statusCode(200);
    }

    static byte[] longsLE(long... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) {
            b.putLong(x);
        }
        return b.array();
    }

    static byte[] concat(byte[]... parts) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.write(p);
        }
        return out.toByteArray();
    }

    static Response post(String model, byte[] header, byte[]... binary) throws Exception {
        return given().contentType("application/octet-stream").header(HEADER, header.length).body(concat(header, concat(binary)))
                .post("/v2/models/" + model + "/infer");
    }

    @Test
    void miniLmInBinaryAndOutInBinaryMatchesOnnxRuntime() throws Exception {
        byte[] header = ("{\"id\":\"b\",\"inputs\":["
                + "{\"name\":\"input_ids\",\"shape\":[1,4],\"datatype\":\"INT64\",\"parameters\":{\"binary_data_size\":32}},"
                + "{\"name\":\"attention_mask\",\"shape\":[1,4],\"datatype\":\"INT64\",\"parameters\":{\"binary_data_size\":32}},"
                + "{\"name\":\"token_type_ids\",\"shape\":[1,4],\"datatype\":\"INT64\",\"parameters\":{\"binary_data_size\":32}}],"
                + "\"outputs\":[{\"name\":\"last_hidden_state\",\"parameters\":{\"binary_data\":true}}]}").getBytes(StandardCharsets.UTF_8);
        Response r = post(MINILM, header, longsLE(101, 7592, 2088, 102), longsLE(1, 1, 1, 1), longsLE(0, 0, 0, 0));
        assertEquals(200, r.statusCode(), r.asString());
        assertEquals("application/octet-stream", r.contentType());
        int h = Integer.parseInt(r.header(HEADER));
        byte[] body = r.asByteArray();
        JsonNode json = JSON.readTree(Arrays.copyOf(body, h));
        JsonNode out = json.get("outputs").get(0);
        assertEquals("b", json.get("id").asText());
        assertEquals("[1,4,384]", out.get("shape").toString());
        assertEquals(4 * 1536, out.get("parameters").get("binary_data_size").asInt());
        assertFalse(out.has("data"), "binary outputs carry no JSON data");
        assertEquals(h + 4 * 1536, body.length, "the body is the header and then exactly the output's bytes");
        ByteBuffer floats = ByteBuffer.wrap(body, h, 4 * 1536).order(ByteOrder.LITTLE_ENDIAN);
        float[][][] expected = DirectOrt.miniLmHelloWorld();
        for (int i = 0; i < 1536; i++) {
            assertEquals(expected[0][i / 384][i % 384], floats.getFloat(), 1e-4, "value " + i);
        }
    }

    @Test
    void binaryAndJsonInputsMixAndTheAnswerIsJsonUnlessAsked() throws Exception {
        byte[] header = ("{\"inputs\":["
                + "{\"name\":\"input_ids\",\"shape\":[1,4],\"datatype\":\"INT64\",\"parameters\":{\"binary_data_size\":32}},"
                + "{\"name\":\"attention_mask\",\"shape\":[1,4],\"datatype\":\"INT64\",\"data\":[1,1,1,1]},"
                + "{\"name\":\"token_type_ids\",\"shape\":[1,4],\"datatype\":\"INT64\",\"data\":[[0,0,0,0]]}]}").getBytes(StandardCharsets.UTF_8);
        Response r = post(MINILM, header, longsLE(101, 7592, 2088, 102));
        assertEquals(200, r.statusCode(), r.asString());
        assertTrue(r.contentType().startsWith("application/json"));
        assertEquals(null, r.header(HEADER));
        JsonNode data = JSON.readTree(r.asString()).get("outputs").get(0).get("data");
        assertEquals(DirectOrt.miniLmHelloWorld()[0][3][383], data.get(1535).floatValue(), 1e-4);

        byte[] all = ("{\"inputs\":["
                + "{\"name\":\"input_ids\",\"shape\":[1,4],\"datatype\":\"INT64\",\"data\":[101,7592,2088,102]},"
                + "{\"name\":\"attention_mask\",\"shape\":[1,4],\"datatype\":\"INT64\",\"data\":[1,1,1,1]},"
                + "{\"name\":\"token_type_ids\",\"shape\":[1,4],\"datatype\":\"INT64\",\"data\":[0,0,0,0]}],"
                + "\"parameters\":{\"binary_data_output\":true}}").getBytes(StandardCharsets.UTF_8);
        Response binaryOut = given().contentType("application/json").body(all).post("/v2/models/" + MINILM + "/infer");
        assertEquals(200, binaryOut.statusCode());
        assertEquals(binaryOut.asByteArray().length, Integer.parseInt(binaryOut.header(HEADER)) + 4 * 1536,
                "binary_data_output makes every output binary, even for a JSON request");
    }

    @Test
    void bytesElementsAreALengthAndTheBytesBothWays() throws Exception {
        byte[] hello = "héllo".getBytes(StandardCharsets.UTF_8);
        ByteBuffer in = ByteBuffer.allocate(4 + hello.length + 4 + 4 + 4).order(ByteOrder.LITTLE_ENDIAN);
        in.putInt(hello.length).put(hello).putInt(4).put("kiln".getBytes(StandardCharsets.US_ASCII)).putInt(0);
        byte[] data = Arrays.copyOf(in.array(), in.position());
        byte[] header = ("{\"inputs\":[{\"name\":\"X\",\"shape\":[3],\"datatype\":\"BYTES\",\"parameters\":{\"binary_data_size\":"
                + data.length + "}}],\"outputs\":[{\"name\":\"Y\",\"parameters\":{\"binary_data\":true}}]}").getBytes(StandardCharsets.UTF_8);
        Response r = post("bin-bytes", header, data);
        assertEquals(200, r.statusCode(), r.asString());
        int h = Integer.parseInt(r.header(HEADER));
        byte[] body = r.asByteArray();
        assertEquals(data.length, JSON.readTree(Arrays.copyOf(body, h)).get("outputs").get(0).get("parameters").get("binary_data_size").asInt());
        assertArrayEquals(data, Arrays.copyOfRange(body, h, body.length), "the same bytes, element by element");
    }

    /** ONNX Runtime takes strings as text: bytes that are not UTF-8 are refused (they came back as U+FFFD), naming where. */
    @Test
    void bytesThatAreNotUtf8AreRefusedNamingWhere() throws Exception {
        byte[] bad = {'o', 'k', (byte) 0xff, 'x'};
        ByteBuffer in = ByteBuffer.allocate(4 + 2 + 4 + bad.length).order(ByteOrder.LITTLE_ENDIAN);
        in.putInt(2).put("hi".getBytes(StandardCharsets.US_ASCII)).putInt(bad.length).put(bad);
        byte[] header = ("{\"inputs\":[{\"name\":\"X\",\"shape\":[2],\"datatype\":\"BYTES\",\"parameters\":{\"binary_data_size\":"
                + in.capacity() + "}}]}").getBytes(StandardCharsets.UTF_8);
        Response r = post("bin-bytes", header, in.array());
        assertEquals(400, r.statusCode(), r.asString());
        assertTrue(r.asString().contains("input 'X': BYTES element 1 is not valid UTF-8 (byte 0xff at offset 2 of the element,"
                + " 12 of the input's data)"), r.asString());

        // A JSON string cannot hold invalid UTF-8, but it can hold a lone surrogate, which has no UTF-8 form either.
        Response surrogate = given().contentType("application/json")
                .body("{\"inputs\":[{\"name\":\"X\",\"shape\":[2],\"datatype\":\"BYTES\",\"data\":[\"fine\",\"a\\ud800b\"]}]}")
                .post("/v2/models/bin-bytes/infer");
        assertEquals(400, surrogate.statusCode(), surrogate.asString());
        assertTrue(surrogate.jsonPath().getString("error").contains("input 'X': BYTES element 1 holds an unpaired surrogate"
                + " (\\ud800 at character 1)"), surrogate.asString());
        Response rawByte = given().contentType("application/json").body(concat(
                        "{\"inputs\":[{\"name\":\"X\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"a".getBytes(StandardCharsets.US_ASCII),
                        new byte[]{(byte) 0xff}, "\"]}]}".getBytes(StandardCharsets.US_ASCII)))
                .post("/v2/models/bin-bytes/infer");
        assertEquals(400, rawByte.statusCode(), rawByte.asString());
        // A pair of surrogates is one character beyond the BMP, and valid.
        given().contentType("application/json")
                .body("{\"inputs\":[{\"name\":\"X\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"\\ud83d\\ude00\"]}]}")
                .post("/v2/models/bin-bytes/infer").then().statusCode(200).body("outputs[0].data[0]", org.hamcrest.Matchers.equalTo("\ud83d\ude00"));
    }

    @Test
    void fp16BitsPassThroughUnchanged() throws Exception {
        byte[] halves = {0x00, 0x3c, 0x00, (byte) 0xc0, 0x01, 0x00, (byte) 0xff, 0x7b};    // 1.0, -2.0, the smallest subnormal, 65504
        byte[] header = ("{\"inputs\":[{\"name\":\"X\",\"shape\":[4],\"datatype\":\"FP16\",\"parameters\":{\"binary_data_size\":8}}],"
                + "\"parameters\":{\"binary_data_output\":true}}").getBytes(StandardCharsets.UTF_8);
        Response r = post("bin-fp16", header, halves);
        assertEquals(200, r.statusCode(), r.asString());
        byte[] body = r.asByteArray();
        assertArrayEquals(halves, Arrays.copyOfRange(body, Integer.parseInt(r.header(HEADER)), body.length));
    }

    @Test
    void aModelWithNoInputsTakesAnEmptyInputsList() {
        V2.infer("bin-constant", java.util.Map.of("inputs", java.util.List.of())).statusCode(200)
                .body("outputs[0].data", org.hamcrest.Matchers.equalTo(java.util.List.of(1.5f, -2.0f, 0.25f)));
    }

    @Test
    void malformedBinaryRequestsAre400WithWhatWasWrong() throws Exception {
        byte[] wrongSize = "{\"inputs\":[{\"name\":\"X\",\"shape\":[4],\"datatype\":\"FP16\",\"parameters\":{\"binary_data_size\":6}}]}"
                .getBytes(StandardCharsets.UTF_8);
        Response r = post("bin-fp16", wrongSize, new byte[6]);
        assertEquals(400, r.statusCode());
        assertTrue(r.asString().contains("binary_data_size is 6 bytes but shape [4] of FP16 takes 8"), r.asString());

        byte[] ok = "{\"inputs\":[{\"name\":\"X\",\"shape\":[1],\"datatype\":\"FP16\",\"parameters\":{\"binary_data_size\":2}}]}"
                .getBytes(StandardCharsets.UTF_8);
        Response extra = post("bin-fp16", ok, new byte[4]);
        assertEquals(400, extra.statusCode());
        assertTrue(extra.asString().contains("2 byte(s) after the binary data"), extra.asString());

        Response shortBody = post("bin-fp16", ok, new byte[1]);
        assertEquals(400, shortBody.statusCode());
        assertTrue(shortBody.asString().contains("goes past the end of the body"), shortBody.asString());

        given().contentType("application/octet-stream").header(HEADER, 99999).body(ok).post("/v2/models/bin-fp16/infer").then()
                .statusCode(400).body("error", containsString("Inference-Header-Content-Length is 99999 but the body has"));
        given().contentType("application/octet-stream").header(HEADER, "ten").body(ok).post("/v2/models/bin-fp16/infer").then()
                .statusCode(400).body("error", containsString("must be a non-negative integer"));
    }

    /** binary_data and binary_data_output are booleans (the extension's spec): "yes", 1 or null were taken as false. */
    @Test
    void binaryFlagsThatAreNotBooleansAre400() {
        String input = "{\"name\":\"X\",\"shape\":[1],\"datatype\":\"FP16\",\"data\":[1.5]}";
        for (String value : new String[]{"\"yes\"", "\"true\"", "1", "null", "{}"}) {
            given().contentType("application/json").body("{\"inputs\":[" + input + "],\"outputs\":[{\"name\":\"Y\",\"parameters\":{\"binary_data\":"
                    + value + "}}]}").post("/v2/models/bin-fp16/infer").then()
                    .statusCode(400).body("error", containsString("'binary_data' in output 'Y' must be true or false"));
            given().contentType("application/json").body("{\"inputs\":[" + input + "],\"parameters\":{\"binary_data_output\":" + value + "}}")
                    .post("/v2/models/bin-fp16/infer").then()
                    .statusCode(400).body("error", containsString("'binary_data_output' in the request's parameters must be true or false"));
        }
        given().contentType("application/json").body("{\"inputs\":[" + input + "],\"outputs\":[{\"name\":\"Y\",\"parameters\":{\"binary_data\":false}}]}")
                .post("/v2/models/bin-fp16/infer").then().statusCode(200).body("outputs[0].data[0]", org.hamcrest.Matchers.equalTo(1.5f));
        given().contentType("application/json").body("{\"inputs\":[" + input + "],\"outputs\":[{\"name\":\"Y\",\"parameters\":{\"binary_data\":\"true\"}}]}")
                .post("/v2/models/bin-fp16/infer").then().statusCode(400)
                .body("error", containsString("must be true or false (a JSON boolean), not the string \"true\""));
    }

    @Test
    void theServerListsTheExtensions() {
        given().get("/v2").then().statusCode(200).body("extensions", hasItem("binary_tensor_data")).body("extensions", hasItem("statistics"));
    }
}
