package dev.kiln.web;

import dev.kiln.testing.Startup;
import dev.kiln.testing.TestRepository;
import dev.kiln.testing.WithAdminToken;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Without the token, answers say what is wrong but not where things are; with it, admins see paths. */
@QuarkusTest
@TestProfile(WithAdminToken.class)
class RedactionTest {

    static final String ADMIN = "Bearer " + WithAdminToken.TOKEN;
    /** An absolute path that is not an API path: what must never reach a stranger. */
    static final Pattern ABSOLUTE_PATH = Pattern.compile("(?<![\\w.:/~>-])/(?!(?:api|v1|v2|q)(?:/|\\b))[\\w.-]+/");
    static final Pattern CLASS_NAME = Pattern.compile("\\b(?:java|javax|jakarta|dev|io|ai|org|com)\\.[a-z]+\\.[\\w.]*[A-Z]");

    @AfterEach
    void cleanUp() throws Exception {
        TestRepository.delete("corrupt-redact");
        given().header("Authorization", ADMIN).post("/api/v1/setup/ai-models/rescan").then().statusCode(200);
    }

    @Test
    void readsWithoutTheTokenCarryNoPathsOrClassNames() throws Exception {
        Startup.awaitStarted();
        Path dir = Files.createDirectories(TestRepository.ROOT.resolve("corrupt-redact"));
        Files.writeString(dir.resolve("model.onnx"), "not a model");
        given().header("Authorization", ADMIN).post("/api/v1/setup/ai-models/rescan").then().statusCode(200);
        given().header("Authorization", ADMIN).post("/v2/repository/models/corrupt-redact/load").then().statusCode(500);
        String root = TestRepository.ROOT.toString();
        for (String path : new String[]{"/api/v1/setup/models/status", "/api/v1/setup/dependencies/health", "/api/v1/setup/status",
                "/api/v1/setup/config", "/api/v1/setup/template", "/api/v1/setup/ai-models/telemetry",
                "/api/v1/setup/inference-engines/status", "/v2/models/corrupt-redact", "/v2/models/corrupt-redact/ready"}) {
            String body = given().get(path).then().extract().asString();
            assertFalse(body.contains(root), path + " shows the repository path: " + body);
            assertFalse(ABSOLUTE_PATH.matcher(body).find(), path + " shows an absolute path: " + body);
            assertFalse(CLASS_NAME.matcher(body).find(), path + " shows a class name: " + body);
        }
        String text = given().accept("text/plain").get("/api/v1/setup/template").then().statusCode(200).extract().asString();
        assertFalse(text.contains(root), text);
        String failed = given().contentType("application/json").body("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}]}").post("/v2/models/corrupt-redact/infer")
                .then().statusCode(503).extract().asString();
        assertTrue(failed.contains("ORT_INVALID_PROTOBUF") && !failed.contains(root), failed);
        assertTrue(failed.contains("<repository>/corrupt-redact/model.onnx"), failed);

        String asAdmin = given().header("Authorization", ADMIN).get("/api/v1/setup/models/status").then().extract().asString();
        assertTrue(asAdmin.contains(root + "/corrupt-redact/model.onnx"), "admins see where: " + asAdmin);
        String status = given().header("Authorization", ADMIN).get("/api/v1/setup/status").then().extract().asString();
        assertTrue(status.contains(root), status);
    }

    /**
     * The admin page's engine panel, for a viewer without the token: the reasons name what is missing
     * (libraries by file name, the driver, nvidia-smi) instead of reading "<path>, <path> ... are all absent".
     */
    @Test
    void engineAndDependencyReasonsAreReadableWithoutTheToken() throws Exception {
        Startup.awaitStarted();
        for (String path : new String[]{"/api/v1/setup/dependencies/health", "/api/v1/setup/inference-engines/status"}) {
            String body = given().get(path).then().statusCode(200).extract().asString();
            assertFalse(body.contains("<path>"), path + ": " + body);
        }
        var health = given().get("/api/v1/setup/dependencies/health").then().extract().jsonPath();
        for (String[] dep : new String[][]{{"cuda", "libcudart.so.12"}, {"cudnn", "libcudnn.so.9"}, {"tensorrt", "libnvinfer.so.10"},
                {"nvidia-driver", "libcuda.so.1"}}) {
            if ("missing".equals(health.getString("dependencies.'" + dep[0] + "'.status"))) {
                String detail = health.getString("dependencies.'" + dep[0] + "'.detail");
                assertTrue(detail.contains(dep[1]), dep[0] + " names what is missing: " + detail);
            }
        }
        var engines = given().get("/api/v1/setup/inference-engines/status").then().extract().jsonPath();
        if ("unavailable".equals(engines.getString("inference_engines.'onnxruntime-cuda'.status"))) {
            String reason = engines.getString("inference_engines.'onnxruntime-cuda'.reason");
            assertTrue(reason.contains("nvidia-smi") || reason.contains(".so"), "says what is missing: " + reason);
        }
    }
}
