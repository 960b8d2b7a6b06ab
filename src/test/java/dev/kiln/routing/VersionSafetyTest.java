package dev.kiln.routing;

import dev.kiln.runtime.TinyOnnx;
import dev.kiln.testing.Startup;
import dev.kiln.testing.TestRepository;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.kiln.routing.VersionedMiniLm.NAME;
import static dev.kiln.routing.VersionedMiniLm.hello;
import static dev.kiln.routing.VersionedMiniLm.infer;
import static dev.kiln.routing.VersionedMiniLm.put;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a new version must not do to the traffic already flowing: break a pipeline that uses the
 * model, take unversioned calls while it cannot load, be pushed in by a policy that drops the version
 * the traffic is on, or move request ids because the weights were written in another order; and
 * routing that cannot mean anything is refused.
 */
@QuarkusTest
class VersionSafetyTest {

    static final String PIPELINE = """
            inputs:
              - {name: X, datatype: FP32, shape: [-1]}
            outputs:
              - {name: Y, datatype: FP32, shape: [-1]}
            steps:
              - name: double
                model: tiny-v
                inputs: {X: X}
                outputs: {Y: Y}
            """;

    @Test
    void aPipelineRunsItsModelsStableVersionWhateverANewerOneIs() throws Exception {
        Startup.awaitStarted();
        Path model = TestRepository.ROOT.resolve("tiny-v");
        Path pipeline = TestRepository.ROOT.resolve("tiny-pipe");
        try {
            Files.write(Files.createDirectories(model.resolve("1")).resolve("model.onnx"), TinyOnnx.doubler(-1));
            Files.writeString(model.resolve("model.yaml"), "name: tiny-v\ncategory: other\nrouting:\n  aliases:\n    stable: 1\n");
            Files.writeString(Files.createDirectories(pipeline).resolve("pipeline.yaml"), PIPELINE);
            V2.rescanAndIndex().statusCode(200);
            Map<String, Object> request = Map.of("inputs", List.of(V2.input("X", "FP32", List.of(2L), List.of(1.5, -2.0))));
            V2.infer("tiny-pipe", request).statusCode(200).body("outputs[0].data", equalTo(List.of(3.0f, -4.0f)));
            // A canary of another signature (no input at all) beside it, taking no traffic: the pipeline keeps version 1.
            Files.write(Files.createDirectories(model.resolve("2")).resolve("model.onnx"), TinyOnnx.constant(7f));
            V2.rescanAndIndex().statusCode(200);
            V2.infer("tiny-v/versions/2", Map.of("inputs", List.of())).statusCode(200).body("outputs[0].data", equalTo(List.of(7.0f)));
            given().get("/v2/models/tiny-pipe/ready").then().statusCode(200);
            V2.infer("tiny-pipe", request).statusCode(200).body("outputs[0].data", equalTo(List.of(3.0f, -4.0f)));
        } finally {
            TestRepository.delete("tiny-pipe");
            TestRepository.delete("tiny-v");
            V2.rescanAndIndex().statusCode(200);
        }
    }

    @Test
    void aNewestVersionThatFailedTakesNoUnversionedCalls() throws Exception {
        Startup.awaitStarted();
        VersionedMiniLm.write();
        try {
            // A third version half-copied into place, as `cp` leaves it while it runs.
            Path three = Files.createDirectories(TestRepository.ROOT.resolve(NAME).resolve("3"));
            byte[] whole = Files.readAllBytes(TestRepository.ROOT.resolve(VersionedMiniLm.FP32).resolve("model.onnx"));
            Files.write(three.resolve("model.onnx"), Arrays.copyOf(whole, 1000));
            V2.rescanAndIndex().statusCode(200);
            int status = infer(NAME + "/versions/3", hello()).extract().statusCode();
            assertTrue(status >= 500, "named, the broken version answers with its reason: " + status);
            for (int i = 0; i < 10; i++) {
                infer(NAME, hello()).statusCode(200).body("model_version", equalTo("2"));
            }
        } finally {
            VersionedMiniLm.remove();
        }
    }

    @Test
    void aPolicyCannotStopServingTheVersionsTheTrafficIsOn() throws Exception {
        Startup.awaitStarted();
        VersionedMiniLm.write();
        try {
            put("routing", Map.of("aliases", Map.of("stable", 1, "canary", 2))).statusCode(200);
            String before = VersionedMiniLm.manifest();
            put("version-policy", Map.of("latest", 1)).statusCode(409)
                    .body("error", containsString("would stop serving version(s) [1]"));
            assertEquals(before, VersionedMiniLm.manifest(), "nothing written");
            infer(NAME, hello()).statusCode(200).body("model_version", equalTo("1"));
            put("routing", Map.of("aliases", Map.of("stable", 2))).statusCode(200);
            put("version-policy", Map.of("latest", 1)).statusCode(200);
            infer(NAME, hello()).statusCode(200).body("model_version", equalTo("2"));
        } finally {
            VersionedMiniLm.remove();
        }
    }

    @Test
    void theOrderTheWeightsAreWrittenInMovesNoRequestId() throws Exception {
        Startup.awaitStarted();
        VersionedMiniLm.write();
        try {
            // Written by hand into model.yaml, where the order of the keys is the operator's.
            String aliases = "routing:\n  aliases:\n    stable: 1\n    canary: 2\n  weights:\n";
            Files.writeString(TestRepository.ROOT.resolve(NAME).resolve("model.yaml"),
                    VersionedMiniLm.MANIFEST + aliases + "    stable: 70\n    canary: 30\n");
            V2.rescanAndIndex().statusCode(200);
            String[] first = Clients.versions(60, 4, i -> Clients.infer(NAME, null, "k" + i));
            Files.writeString(TestRepository.ROOT.resolve(NAME).resolve("model.yaml"),
                    VersionedMiniLm.MANIFEST + aliases + "    canary: 30\n    stable: 70\n");
            V2.rescanAndIndex().statusCode(200);
            String[] second = Clients.versions(60, 4, i -> Clients.infer(NAME, null, "k" + i));
            assertArrayEquals(first, second);
            assertTrue(Arrays.asList(first).contains("1") && Arrays.asList(first).contains("2"), Arrays.toString(first));
        } finally {
            VersionedMiniLm.remove();
        }
    }

    @Test
    void routingThatCannotMeanAnythingIsRefused() throws Exception {
        Startup.awaitStarted();
        VersionedMiniLm.write();
        try {
            put("routing", Map.of("aliases", Map.of("stable", 1))).statusCode(200);
            String before = VersionedMiniLm.manifest();
            given().contentType("application/json").body("").put("/api/v1/setup/models/" + NAME + "/routing").then().statusCode(400)
                    .body("error", containsString("{} clears it"));
            given().contentType("application/json").body("null").put("/api/v1/setup/models/" + NAME + "/routing").then().statusCode(400);
            put("routing", Map.of("aliases", Map.of("stable", 1), "shadow", "stable")).statusCode(409)
                    .body("error", containsString("a copy would only be compared with itself"));
            put("routing", Map.of("aliases", Map.of("stable", 1), "shadow_percent", 10)).statusCode(400)
                    .body("error", containsString("shadow_percent needs a routing.shadow"));
            assertEquals(before, VersionedMiniLm.manifest(), "nothing written");
            put("routing", Map.of()).statusCode(200);
        } finally {
            VersionedMiniLm.remove();
        }
    }
}
