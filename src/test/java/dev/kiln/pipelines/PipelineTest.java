package dev.kiln.pipelines;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.kiln.ocr.OcrScore;
import dev.kiln.ocr.OcrTestImages;
import dev.kiln.testing.Json;
import dev.kiln.testing.Startup;
import dev.kiln.testing.TestRepository;
import dev.kiln.testing.V2;
import inference.GRPCInferenceServiceGrpc;
import inference.ModelInferRequest;
import inference.ModelInferResponse;
import inference.ModelMetadataRequest;
import inference.ModelMetadataResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo repository's ppocr pipeline served by Kiln: listed and described like a model, read over
 * /v1/ocr (raw and base64), V2 JSON, V2 binary and gRPC with the same lines, its models protected while
 * it needs them, bad images refused before any model runs, and a pipeline naming a missing model FAILED.
 */
@QuarkusTest
class PipelineTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String DET = "ppocr-v4-det";

    @ConfigProperty(name = "quarkus.grpc.server.test-port")
    int grpcPort;

    /** Two lines, the second upside down, in a JPEG (docs/ocr-sample.jpg is drawn the same way). */
    static OcrTestImages.TestImage receipt() {
        return OcrTestImages.render("receipt", "jpeg", 560, 7, List.of(
                new OcrTestImages.LineSpec("Order No. 20931-7781", "DejaVu Sans", 30, false),
                new OcrTestImages.LineSpec("Total: 45.80 USD", "DejaVu Sans", 34, true)));
    }

    static List<String> truth(OcrTestImages.TestImage image) {
        return image.lines().stream().map(l -> OcrScore.normalise(l.text())).toList();
    }

    static List<String> texts(JsonNode ocr) {
        List<String> out = new ArrayList<>();
        ocr.get("lines").forEach(l -> out.add(OcrScore.normalise(l.get("text").asText())));
        return out;
    }

    static Response ocr(String type, byte[] body) {
        return given().contentType(type).body(body).post("/v1/ocr");
    }

    @Test
    void ppocrIsListedLikeAModelWithItsStepsAndModels() throws Exception {
        Startup.awaitStarted();
        JsonNode status = Json.of(given().get("/api/v1/setup/models/status").then().statusCode(200));
        JsonNode ppocr = null;
        for (JsonNode m : status.get("installed_models")) {
            if (m.get("name").asText().equals("ppocr")) {
                ppocr = m;
            }
        }
        assertTrue(ppocr != null, status.toString());
        assertEquals("pipeline", ppocr.get("inference_engine").asText());
        assertEquals("READY", ppocr.get("state").asText(), ppocr.toString());
        assertEquals("[\"ppocr-v4-det\",\"ppocr-cls\",\"ppocr-v4-rec\"]", ppocr.get("models").toString());
        List<String> steps = new ArrayList<>();
        ppocr.get("steps").forEach(s -> steps.add(s.get("name").asText() + "=" + s.get("runs").asText()));
        assertEquals(List.of("decode=image.decode", "det_input=ocr.detect_input", "det=ppocr-v4-det", "boxes=ocr.boxes", "lines=ocr.lines"), steps);
        JsonNode health = Json.of(given().get("/api/v1/setup/dependencies/health").then().statusCode(200));
        assertEquals(4, health.get("ai_models").get("image").get("total").asInt(), "three PP-OCR models and the pipeline");
        given().get("/v2/models/ppocr/ready").then().statusCode(200);
        assertTrue(Json.of(V2.index().statusCode(200)).toString().contains("{\"name\":\"ppocr\",\"version\":\"1\",\"state\":\"READY\""));
    }

    @Test
    void theSignatureIsThePipelinesInputsAndOutputs() {
        given().get("/v2/models/ppocr").then().statusCode(200)
                .body("platform", equalTo("pipeline"))
                .body("inputs[0].name", equalTo("image")).body("inputs[0].datatype", equalTo("UINT8"))
                .body("outputs.name", equalTo(List.of("text", "boxes", "scores")))
                .body("outputs.datatype", equalTo(List.of("BYTES", "FP32", "FP32")))
                .body("outputs[1].shape", equalTo(List.of(-1, 4, 2)));
    }

    @Test
    void v1OcrReadsARawImageAndBase64JsonAlikeUpsideDownLineIncluded() throws Exception {
        Startup.awaitStarted();
        OcrTestImages.TestImage image = receipt();
        JsonNode raw = Json.of(ocr("image/jpeg", image.bytes()).then().statusCode(200));
        assertEquals(truth(image), texts(raw), raw.toString());
        assertEquals("ppocr", raw.get("model").asText());
        assertTrue(raw.get("elapsed_ms").asDouble() > 0);
        JsonNode first = raw.get("lines").get(0);
        assertEquals(4, first.get("box").size());
        assertEquals(2, first.get("box").get(0).size());
        assertTrue(first.get("score").asDouble() > 0.9, first.toString());
        String body = "{\"image\": \"" + Base64.getEncoder().encodeToString(image.bytes()) + "\", \"model\": \"ppocr\"}";
        JsonNode json = Json.of(ocr("application/json", body.getBytes(StandardCharsets.UTF_8)).then().statusCode(200));
        assertEquals(raw.get("lines"), json.get("lines"), "the same lines, boxes and scores");
        JsonNode telemetry = Json.of(given().get("/api/v1/setup/ai-models/telemetry").then().statusCode(200));
        assertTrue(telemetry.get("models").get("ppocr").get("usage_count").asLong() >= 2, telemetry.get("models").get("ppocr").toString());
    }

    @Test
    void aPhotoStoredOnItsSideIsReadAsItsExifOrientationSays() throws Exception {
        Startup.awaitStarted();
        OcrTestImages.TestImage image = receipt();
        java.awt.image.BufferedImage upright = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(image.bytes()));
        // Stored turned a quarter counter-clockwise, as a phone held sideways stores it; EXIF 6 says "turn it back".
        java.awt.image.BufferedImage stored = new java.awt.image.BufferedImage(upright.getHeight(), upright.getWidth(),
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < upright.getHeight(); y++) {
            for (int x = 0; x < upright.getWidth(); x++) {
                stored.setRGB(y, upright.getWidth() - 1 - x, upright.getRGB(x, y));
            }
        }
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        javax.imageio.ImageIO.write(stored, "jpeg", jpeg);
        byte[] photo = dev.kiln.ocr.ExifOrientationTest.withExif(jpeg.toByteArray(), ByteOrder.LITTLE_ENDIAN, 6);
        JsonNode read = Json.of(ocr("image/jpeg", photo).then().statusCode(200));
        assertEquals(truth(image), texts(read));
        // The text is found either way (a tall line is turned before it is read); the boxes tell which
        // way the picture was seen: upright, each line is wider than tall, in the upright picture's pixels.
        for (JsonNode line : read.get("lines")) {
            double minX = Double.MAX_VALUE, maxX = 0, minY = Double.MAX_VALUE, maxY = 0;
            for (JsonNode corner : line.get("box")) {
                minX = Math.min(minX, corner.get(0).asDouble());
                maxX = Math.max(maxX, corner.get(0).asDouble());
                minY = Math.min(minY, corner.get(1).asDouble());
                maxY = Math.max(maxY, corner.get(1).asDouble());
            }
            assertTrue(maxX - minX > 3 * (maxY - minY) && maxX <= upright.getWidth(), line.toString());
        }
    }

    @Test
    void v2JsonAndBinaryAndGrpcAnswerTheSameLines() throws Exception {
        Startup.awaitStarted();
        OcrTestImages.TestImage image = receipt();
        byte[] file = image.bytes();
        List<Integer> values = new ArrayList<>();
        for (byte b : file) {
            values.add(b & 0xff);
        }
        JsonNode v2 = Json.of(V2.infer("ppocr", Map.of("inputs", List.of(V2.input("image", "UINT8", List.of((long) file.length), values))))
                .statusCode(200));
        List<String> fromJson = new ArrayList<>();
        v2.get("outputs").get(0).get("data").forEach(t -> fromJson.add(OcrScore.normalise(t.asText())));
        assertEquals(truth(image), fromJson, v2.toString());
        assertEquals("boxes", v2.get("outputs").get(1).get("name").asText());
        assertEquals(List.of(2, 4, 2), JSON.convertValue(v2.get("outputs").get(1).get("shape"), List.class));

        byte[] header = ("{\"inputs\":[{\"name\":\"image\",\"shape\":[" + file.length + "],\"datatype\":\"UINT8\",\"parameters\":"
                + "{\"binary_data_size\":" + file.length + "}}],\"outputs\":[{\"name\":\"text\",\"parameters\":{\"binary_data\":true}},"
                + "{\"name\":\"scores\"}]}").getBytes(StandardCharsets.UTF_8);
        Response binary = given().contentType("application/octet-stream").header("Inference-Header-Content-Length", header.length)
                .body(concat(header, file)).post("/v2/models/ppocr/infer");
        assertEquals(200, binary.statusCode(), binary.asString());
        byte[] answer = binary.asByteArray();
        int headerLength = Integer.parseInt(binary.header("Inference-Header-Content-Length"));
        JsonNode head = JSON.readTree(new String(answer, 0, headerLength, StandardCharsets.UTF_8));
        assertEquals(List.of("text", "scores"), List.of(head.get("outputs").get(0).get("name").asText(), head.get("outputs").get(1).get("name").asText()));
        assertEquals(2, head.get("outputs").get(1).get("data").size(), "scores in JSON, one per line");
        assertEquals(truth(image), strings(ByteBuffer.wrap(answer, headerLength, answer.length - headerLength)));

        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", grpcPort).usePlaintext().build();
        try {
            GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub kiln = GRPCInferenceServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(120, TimeUnit.SECONDS);
            ModelInferResponse r = kiln.modelInfer(ModelInferRequest.newBuilder().setModelName("ppocr")
                    .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("image").setDatatype("UINT8").addShape(file.length))
                    .addRawInputContents(ByteString.copyFrom(file)).build());
            assertEquals(List.of("text", "boxes", "scores"), r.getOutputsList().stream().map(ModelInferResponse.InferOutputTensor::getName).toList());
            assertEquals(truth(image), strings(r.getRawOutputContents(0).asReadOnlyByteBuffer()));
            ModelMetadataResponse meta = kiln.modelMetadata(ModelMetadataRequest.newBuilder().setName("ppocr").build());
            assertEquals("pipeline", meta.getPlatform());
            assertEquals("UINT8", meta.getInputs(0).getDatatype());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** BYTES in the binary form: each element a 4-byte little-endian length, then its UTF-8 bytes. */
    static List<String> strings(ByteBuffer raw) {
        ByteBuffer b = raw.slice().order(ByteOrder.LITTLE_ENDIAN);
        List<String> out = new ArrayList<>();
        while (b.remaining() >= 4) {
            byte[] s = new byte[b.getInt()];
            b.get(s);
            out.add(OcrScore.normalise(new String(s, StandardCharsets.UTF_8)));
        }
        return out;
    }

    @Test
    void badImagesAre400sInOpenAisShapeAndNoModelRuns() throws Exception {
        Startup.awaitStarted();
        long before = detectorRequests();
        byte[] good = receipt().bytes();
        Map<String, byte[]> bad = Map.of(
                "not an image", "hello, I am not a picture".getBytes(StandardCharsets.UTF_8),
                "truncated", java.util.Arrays.copyOf(good, good.length / 3),
                "0x0", pngHeader(0, 0),
                "20000x20000", pngHeader(20000, 20000),
                "a decompression bomb", bomb(),
                "empty", new byte[0]);
        for (Map.Entry<String, byte[]> e : bad.entrySet()) {
            Response r = ocr(e.getKey().equals("truncated") ? "image/jpeg" : "image/png", e.getValue());
            assertEquals(400, r.statusCode(), e.getKey() + ": " + r.asString());
            assertEquals("invalid_request_error", r.jsonPath().getString("error.type"), e.getKey() + ": " + r.asString());
        }
        given().contentType("image/png").body(pngHeader(20000, 20000)).post("/v1/ocr").then().statusCode(400)
                .body("error.message", containsString("20000x20000 pixels, more than the limit of 20000000 pixels"));
        given().contentType("application/json").body("{\"image\": \"bm90IGFuIGltYWdl\"}").post("/v1/ocr").then().statusCode(400)
                .body("error.message", equalTo("not a PNG or JPEG image"));
        given().contentType("application/json").body("{\"image\": \"!!!\"}").post("/v1/ocr").then().statusCode(400)
                .body("error.message", equalTo("field 'image' is not base64: it holds no base64 characters"));
        given().contentType("application/json").body("{\"picture\": \"x\"}").post("/v1/ocr").then().statusCode(400);
        given().contentType("application/json").body("{\"image\": \"x\", \"model\": \"nope\"}").post("/v1/ocr").then().statusCode(404)
                .body("error.message", containsString("unknown pipeline 'nope' (pipelines here: ppocr"));
        given().contentType("application/json").body("{\"image\": \"x\", \"model\": \"ppocr-cls\"}").post("/v1/ocr").then().statusCode(404)
                .body("error.message", containsString("'ppocr-cls' is a model, not a pipeline"));
        given().contentType("text/plain").body("x").post("/v1/ocr").then().statusCode(415)
                .body("error.message", containsString("image/png or image/jpeg"));
        assertEquals(before, detectorRequests(), "no bad image reached the detector");
    }

    /** The detector's requests so far (served or refused), from its telemetry. */
    static long detectorRequests() {
        JsonNode det = Json.of(given().get("/api/v1/setup/ai-models/telemetry").then().statusCode(200)).get("models").get(DET);
        return det.get("usage_count").asLong() + det.get("error_count").asLong();
    }

    /** A PNG of that size with no pixel data: its header says the size, the rest is missing. */
    static byte[] pngHeader(int width, int height) throws Exception {
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 2).put((byte) 0)
                .put((byte) 0).put((byte) 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /** A real PNG of 30000 x 30000 grey pixels, all zero: about a hundred kilobytes that would decode to 900 MB. */
    static byte[] bomb() throws Exception {
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        try (java.util.zip.DeflaterOutputStream z = new java.util.zip.DeflaterOutputStream(idat,
                new java.util.zip.Deflater(java.util.zip.Deflater.BEST_COMPRESSION))) {
            byte[] row = new byte[30001];
            for (int y = 0; y < 30000; y++) {
                z.write(row);
            }
        }
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(30000).putInt(30000).put((byte) 8).put((byte) 0).put((byte) 0)
                .put((byte) 0).put((byte) 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IDAT", idat.toByteArray());
        chunk(out, "IEND", new byte[0]);
        assertTrue(out.size() < 2_000_000, "a small file: " + out.size());
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws Exception {
        out.write(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void itsModelsCannotBeUninstalledOrDisabledWhileItIsEnabled() throws Exception {
        Startup.awaitStarted();
        given().contentType("application/json").body("{\"name\": \"ppocr-cls\"}").post("/api/v1/setup/ai-models/uninstall").then()
                .statusCode(409).body("error", equalTo("model 'ppocr-cls' is used by the enabled pipeline ppocr: disable or uninstall it"
                        + " before you uninstall this model"));
        given().contentType("application/json").body("{\"name\": \"ppocr-v4-rec\", \"enabled\": false}").post("/api/v1/setup/ai-models/enable")
                .then().statusCode(409).body("error", containsString("used by the enabled pipeline ppocr"));
        assertTrue(Files.exists(TestRepository.ROOT.resolve("ppocr-cls/model.onnx")), "nothing was removed");
        try {
            given().contentType("application/json").body("{\"name\": \"ppocr\", \"enabled\": false}").post("/api/v1/setup/ai-models/enable")
                    .then().statusCode(200).body("state", equalTo("DISABLED"));
            ocr("image/jpeg", receipt().bytes()).then().statusCode(409).body("error.message", equalTo("pipeline 'ppocr' is disabled"));
            given().contentType("application/json").body("{\"name\": \"ppocr-cls\", \"enabled\": false}").post("/api/v1/setup/ai-models/enable")
                    .then().statusCode(200).body("state", equalTo("DISABLED"));
            given().contentType("application/json").body("{\"name\": \"ppocr-cls\", \"enabled\": true}").post("/api/v1/setup/ai-models/enable")
                    .then().statusCode(200).body("state", equalTo("READY"));
        } finally {
            given().contentType("application/json").body("{\"name\": \"ppocr\", \"enabled\": true}").post("/api/v1/setup/ai-models/enable")
                    .then().statusCode(200);
        }
        assertFalse(Files.readString(TestRepository.ROOT.resolve("ppocr/pipeline.yaml")).contains("enabled: false"));
        ocr("image/jpeg", receipt().bytes()).then().statusCode(200);
    }

    @Test
    void aPipelineWhoseStepNamesAMissingModelIsFailedWithTheReason() throws Exception {
        Startup.awaitStarted();
        Path dir = Files.createDirectories(TestRepository.ROOT.resolve("ocr-missing"));
        Files.writeString(dir.resolve("pipeline.yaml"), Files.readString(TestRepository.ROOT.resolve("ppocr/pipeline.yaml"))
                .replace("name: ppocr\n", "").replace("model: ppocr-v4-det", "model: ppocr-v9-det"));
        try {
            V2.rescanAndIndex().statusCode(200);
            String reason = "step 'det' names the model 'ppocr-v9-det', which is not in the repository";
            JsonNode status = Json.of(given().get("/api/v1/setup/models/status").then().statusCode(200));
            JsonNode entry = null;
            for (JsonNode m : status.get("installed_models")) {
                if (m.get("name").asText().equals("ocr-missing")) {
                    entry = m;
                }
            }
            assertTrue(entry != null, status.toString());
            assertEquals("FAILED", entry.get("state").asText());
            assertEquals(reason, entry.get("reason").asText());
            given().get("/v2/models/ocr-missing/ready").then().statusCode(400).body("reason", equalTo("failed: " + reason));
            ocr("application/json", ("{\"image\": \"" + Base64.getEncoder().encodeToString(receipt().bytes()) + "\", \"model\": \"ocr-missing\"}")
                    .getBytes(StandardCharsets.UTF_8)).then().statusCode(503).body("error.message", containsString(reason));
            JsonNode health = Json.of(given().get("/api/v1/setup/dependencies/health").then().statusCode(200));
            assertTrue(health.get("warnings").toString().contains("pipeline 'ocr-missing' cannot run: " + reason), health.toString());
            given().get("/v2/models/ppocr/ready").then().statusCode(200);
        } finally {
            TestRepository.delete("ocr-missing");
            V2.rescanAndIndex().statusCode(200);
        }
        assertNull(Json.of(V2.index().statusCode(200)).findValue("ocr-missing"));
    }
}
