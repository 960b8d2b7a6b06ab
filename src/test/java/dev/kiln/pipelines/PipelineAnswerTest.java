package dev.kiln.pipelines;

import dev.kiln.testing.Startup;
import dev.kiln.testing.TestRepository;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A pipeline's answer is known only once its steps have run: it is held to what pipeline.yaml
 * declares (else 500 with both, the pipeline's fault) and to ai.models.inference.max-answer-bytes
 * (else 413, as a model's answer is). Both pipelines only decode an image, so the answer is its pixels.
 * Runs with a budget of 8 MB, so the largest answer is 4 MB.
 */
@QuarkusTest
@TestProfile(OcrJsonBudgetTest.SmallBudget.class)
class PipelineAnswerTest {

    static final String DECODE_ONLY = """
            inputs:
              - {name: image, datatype: UINT8, shape: [-1]}
            outputs:
              - {name: pixels, datatype: UINT8, shape: %s}
            steps:
              - name: decode
                builtin: image.decode
                inputs: {image: image}
                outputs: {pixels: pixels}
            """;

    @Test
    void anAnswerLargerThanKilnWritesIs413AndFitsAsBinary() throws Exception {
        Startup.awaitStarted();
        withPipeline("pixels-all", "[-1, -1, 3]", () -> {
            // 1000 x 400 x 3 UINT8 numbers: 4.8 MB as JSON ("255," is 4 bytes), 1.2 MB raw.
            Map<String, Object> request = request(png(1000, 400));
            V2.infer("pixels-all", request).statusCode(413)
                    .body("error", containsString("the answer of pipeline 'pixels-all' would take about 4800000 bytes"));
            Map<String, Object> binary = new java.util.HashMap<>(request);
            binary.put("outputs", List.of(Map.of("name", "pixels", "parameters", Map.of("binary_data", true))));
            Response r = given().contentType("application/json").body(binary).post("/v2/models/pixels-all/infer");
            assertEquals(200, r.statusCode(), r.asString().substring(0, Math.min(300, r.asString().length())));
            assertEquals(1_200_000, r.asByteArray().length - Integer.parseInt(r.header("Inference-Header-Content-Length")));
        });
    }

    @Test
    void anAnswerOtherThanDeclaredIs500WithBoth() throws Exception {
        Startup.awaitStarted();
        withPipeline("pixels-narrow", "[-1, 4, 3]", () -> V2.infer("pixels-narrow", request(png(10, 20))).statusCode(500)
                .body("error", equalTo("pipeline 'pixels-narrow' declares output 'pixels' as UINT8 [-1, 4, 3] but its steps made"
                        + " UINT8 [20, 10, 3]: fix its pipeline.yaml")));
    }

    interface Check {
        void run() throws Exception;
    }

    static void withPipeline(String name, String shape, Check check) throws Exception {
        Path dir = Files.createDirectories(TestRepository.ROOT.resolve(name));
        Files.writeString(dir.resolve("pipeline.yaml"), DECODE_ONLY.formatted(shape));
        try {
            V2.rescanAndIndex().statusCode(200);
            given().get("/v2/models/" + name + "/ready").then().statusCode(200);
            check.run();
        } finally {
            TestRepository.delete(name);
            V2.rescanAndIndex().statusCode(200);
        }
    }

    static Map<String, Object> request(byte[] file) {
        List<Integer> bytes = new ArrayList<>(file.length);
        for (byte b : file) {
            bytes.add(b & 0xff);
        }
        return Map.of("inputs", List.of(V2.input("image", "UINT8", List.of((long) file.length), bytes)));
    }

    static byte[] png(int width, int height) throws Exception {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
