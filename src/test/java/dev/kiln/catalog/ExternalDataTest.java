package dev.kiln.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelState;
import dev.kiln.runtime.ExternalDataOnnx;
import dev.kiln.testing.Archives;
import dev.kiln.testing.Json;
import dev.kiln.testing.ModelServer;
import dev.kiln.testing.ModelServer.Mode;
import dev.kiln.testing.PackagedKiln;
import dev.kiln.testing.Startup;
import dev.kiln.testing.V2;
import dev.kiln.testing.WithAdminToken;
import inference.GRPCInferenceServiceGrpc;
import inference.ModelInferRequest;
import inference.ModelInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17's critical finding: an initializer stored as external data at {@code /etc/passwd} (or
 * {@code ../../}) went READY and an anonymous {@code infer {"inputs": []}} answered with the file's
 * bytes, over REST and gRPC. Each hostile model here points at a secret outside its directory, from
 * each place a tensor can sit; none may reach READY, and no answer may carry the secret. A model
 * whose weights sit beside it in {@code model.onnx.data} keeps loading and answering.
 */
@QuarkusTest
@TestProfile(ExternalDataTest.HostileRepository.class)
class ExternalDataTest {

    static final Path ROOT = Path.of("target", "external-data-models").toAbsolutePath();
    static final Path SECRET = ROOT.resolveSibling("external-data-secret.txt");
    static final String SECRET_TEXT = "kiln-test-secret: this line must never come back from the API\n";
    static final int LENGTH = SECRET_TEXT.length();
    static final String ADMIN = "Bearer " + WithAdminToken.TOKEN;

    static final List<String> HOSTILE = List.of("leak-absolute", "leak-relative", "leak-other-model", "leak-symlink",
            "leak-constant", "leak-subgraph", "leak-sparse", "leak-passwd");

    public static class HostileRepository implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                PackagedKiln.deleteTree(ROOT);
                Files.createDirectories(ROOT);
                Files.writeString(SECRET, SECRET_TEXT);
                String secret = SECRET.toString();
                write("leak-absolute", ExternalDataOnnx.initializer(secret, 0, LENGTH));
                write("leak-relative", ExternalDataOnnx.initializer("../../" + SECRET.getFileName(), 0, LENGTH));
                write("leak-other-model", ExternalDataOnnx.initializer("../legit-weights/model.yaml", 0, 10));
                Files.createSymbolicLink(write("leak-symlink", ExternalDataOnnx.initializer("model.onnx.data", 0, LENGTH))
                        .resolve("model.onnx.data"), SECRET);
                write("leak-constant", ExternalDataOnnx.constantNode(secret, LENGTH));
                Files.createSymbolicLink(write("leak-subgraph", ExternalDataOnnx.inSubgraph("w.bin", LENGTH)).resolve("w.bin"), SECRET);
                write("leak-sparse", ExternalDataOnnx.sparseInitializer(secret, LENGTH));
                write("leak-passwd", ExternalDataOnnx.initializer("/etc/passwd", 0, 16));
                Path legit = write("legit-weights", ExternalDataOnnx.addWeights("model.onnx.data", 3));
                Files.write(legit.resolve("model.onnx.data"), ExternalDataOnnx.floats(0.5f, 0.25f, -1f));
                Files.writeString(legit.resolve("model.yaml"), "category: text\n");
                Path nested = write("legit-subdirectory", ExternalDataOnnx.addWeights("weights/w.bin", 3));
                Files.createDirectories(nested.resolve("weights"));
                Files.write(nested.resolve("weights/w.bin"), ExternalDataOnnx.floats(1f, 2f, 3f));
                Path swapped = write("swapped-later", ExternalDataOnnx.initializer("model.onnx.data", 0, LENGTH));
                Files.write(swapped.resolve("model.onnx.data"), new byte[LENGTH]);
                Files.writeString(swapped.resolve("model.yaml"), "lazy_load: true\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Map.of("ai.models.repository", ROOT.toString(), "ai.models.lazy-load", "true",
                    "ai.models.admin-token", WithAdminToken.TOKEN,
                    "ai.models.install.allow-http", "true", "ai.models.install.allow-private-networks", "true");
        }

        private static Path write(String name, byte[] onnx) throws IOException {
            Path dir = Files.createDirectories(ROOT.resolve(name));
            Files.write(dir.resolve("model.onnx"), onnx);
            return dir;
        }
    }

    @Inject
    ModelRegistry registry;

    @ConfigProperty(name = "quarkus.grpc.server.test-port")
    int grpcPort;

    @Test
    void modelsReadingOutsideTheirDirectoryNeverServe() throws Exception {
        Startup.awaitStarted();
        for (String name : HOSTILE) {
            assertEquals(ModelState.FAILED, registry.status(name).state(), name + ": " + registry.status(name).reason());
            assertTrue(registry.status(name).reason().contains("external data"), name + ": " + registry.status(name).reason());
            assertRefused(name);
        }
        String reason = registry.status("leak-absolute").reason();
        assertTrue(reason.contains("'" + SECRET + "'"), "the reason names the location: " + reason);
        assertTrue(registry.status("leak-relative").reason().contains("'../../external-data-secret.txt'"),
                registry.status("leak-relative").reason());
        assertTrue(registry.status("leak-symlink").reason().contains("outside the model's directory"),
                registry.status("leak-symlink").reason());

        // The V2 load answers a model that cannot load with 500 and the reason, as documented (Triton does the same).
        given().header("Authorization", ADMIN).post("/v2/repository/models/leak-absolute/load").then().statusCode(500)
                .body("error", containsString("external data"));
        assertEquals(ModelState.FAILED, registry.status("leak-absolute").state(), "an explicit load is refused too");
        assertRefused("leak-absolute");
    }

    @Test
    void theReasonKeepsPathsFromAnonymousCallers() throws Exception {
        Startup.awaitStarted();
        JsonNode anonymous = index(null).get("leak-absolute");
        assertTrue(anonymous.get("reason").asText().contains("'<path>'"), anonymous.toString());
        assertFalse(anonymous.toString().contains(SECRET.toString()), anonymous.toString());
        JsonNode admin = index(ADMIN).get("leak-absolute");
        assertTrue(admin.get("reason").asText().contains(SECRET.toString()), admin.toString());
    }

    @Test
    void weightsBesideTheModelLoadAndAnswer() throws Exception {
        Startup.awaitStarted();
        V2.infer("legit-weights", Map.of("inputs", List.of(V2.input("X", "FP32", List.of(3L), List.of(1.0, 2.0, 3.0)))))
                .statusCode(200).body("outputs[0].data", equalTo(List.of(1.5f, 2.25f, 2.0f)));
        V2.infer("legit-subdirectory", Map.of("inputs", List.of(V2.input("X", "FP32", List.of(3L), List.of(1.0, 1.0, 1.0)))))
                .statusCode(200).body("outputs[0].data", equalTo(List.of(2.0f, 3.0f, 4.0f)));
        assertEquals(ModelState.READY, registry.status("legit-weights").state());
        assertEquals(ModelState.READY, registry.status("legit-subdirectory").state());
    }

    /** The scan saw a regular file; a symlink swapped in afterwards is caught when the session opens. */
    @Test
    void aFileSwappedAfterTheScanIsCaughtAtLoad() throws Exception {
        Startup.awaitStarted();
        assertEquals(ModelState.AVAILABLE, registry.status("swapped-later").state(), registry.status("swapped-later").reason());
        Path data = ROOT.resolve("swapped-later/model.onnx.data");
        Files.delete(data);
        Files.createSymbolicLink(data, SECRET);
        assertRefused("swapped-later");
        assertEquals(ModelState.FAILED, registry.status("swapped-later").state());
        assertTrue(registry.status("swapped-later").reason().contains("outside the model's directory"),
                registry.status("swapped-later").reason());
    }

    /** The installer validates the staged directory before anything is in place: 422 naming the step, nothing left. */
    @Test
    void anInstallOfSuchAModelIsRefusedAndLeavesNothing() throws Exception {
        Startup.awaitStarted();
        try (ModelServer server = new ModelServer()) {
            String absolute = server.serve("/absolute.onnx", ExternalDataOnnx.initializer(SECRET.toString(), 0, LENGTH), Mode.NORMAL);
            install("inst-absolute", absolute).statusCode(422).body("status", equalTo("failed"))
                    .body("error", startsWith("validate: model.onnx reads external data for tensor 'W' from '"));
            String relative = server.serve("/relative.tar.gz", Archives.tarGz(Map.of("model.onnx",
                    ExternalDataOnnx.initializer("../../../external-data-secret.txt", 0, LENGTH))), Mode.NORMAL);
            install("inst-relative", relative).statusCode(422).body("error", containsString("'..' is not allowed"));
            for (String name : List.of("inst-absolute", "inst-relative")) {
                assertFalse(Files.exists(ROOT.resolve(name)), name + " left a directory");
                given().get("/v2/models/" + name + "/ready").then().statusCode(404);
            }
            try (var left = Files.list(ROOT)) {
                assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith(".kiln-tmp-")), "staging left behind");
            }

            String legit = server.serve("/legit.tar.gz", Archives.tarGz(Map.of("model.onnx", ExternalDataOnnx.addWeights("model.onnx.data", 3),
                    "model.onnx.data", ExternalDataOnnx.floats(10f, 20f, 30f))), Mode.NORMAL);
            install("inst-legit", legit).statusCode(200).body("model_state", equalTo("READY"));
            V2.infer("inst-legit", Map.of("inputs", List.of(V2.input("X", "FP32", List.of(3L), List.of(1.0, 2.0, 3.0)))))
                    .statusCode(200).body("outputs[0].data", equalTo(List.of(11f, 22f, 33f)));
        }
    }

    private static ValidatableResponse install(String name, String url) {
        return given().header("Authorization", ADMIN).contentType("application/json")
                .body(Map.of("name", name, "url", url, "category", "text"))
                .post("/api/v1/setup/ai-models/install?wait=true").then();
    }

    private static JsonNode index(String authorization) {
        var request = given().contentType("application/json").body("{}");
        if (authorization != null) {
            request = request.header("Authorization", authorization);
        }
        JsonNode all = Json.of(request.post("/v2/repository/index").then().statusCode(200));
        com.fasterxml.jackson.databind.node.ObjectNode byName = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
        all.forEach(m -> byName.set(m.get("name").asText(), m));
        return byName;
    }

    /** Neither REST nor gRPC answers with data; whatever comes back carries no byte of the secret. */
    private void assertRefused(String name) throws Exception {
        Response rest = given().contentType("application/json").body("{\"inputs\": []}").post("/v2/models/" + name + "/infer");
        assertNotEquals(200, rest.statusCode(), name + " answered: " + rest.asString());
        assertEquals(503, rest.statusCode(), name + ": " + rest.asString());
        assertFalse(rest.asString().contains("kiln-test-secret") || rest.asString().contains("107,105,108,110"), rest.asString());
        assertFalse(rest.asString().contains(SECRET.toString()), "no path for an anonymous caller: " + rest.asString());

        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", grpcPort).usePlaintext().build();
        try {
            ModelInferResponse answer = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .modelInfer(ModelInferRequest.newBuilder().setModelName(name).build());
            String raw = answer.getRawOutputContentsList().stream().map(b -> b.toString(StandardCharsets.ISO_8859_1))
                    .reduce("", String::concat);
            throw new AssertionError(name + " answered over gRPC" + (raw.contains("kiln-test-secret") ? " WITH THE SECRET" : "")
                    + ": " + answer);
        } catch (StatusRuntimeException refused) {
            assertEquals(io.grpc.Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.toString());
            assertFalse(String.valueOf(refused.getStatus().getDescription()).contains("kiln-test-secret"), refused.toString());
            assertFalse(String.valueOf(refused.getStatus().getDescription()).contains(SECRET.toString()), refused.toString());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
