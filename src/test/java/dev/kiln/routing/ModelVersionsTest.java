package dev.kiln.routing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.registry.Lease;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelState;
import dev.kiln.testing.Startup;
import dev.kiln.testing.V2;
import inference.GRPCInferenceServiceGrpc;
import inference.ModelInferRequest;
import inference.ModelInferResponse;
import inference.ModelMetadataRequest;
import inference.ModelReadyRequest;
import inference.RepositoryIndexRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.kiln.routing.VersionedMiniLm.NAME;
import static dev.kiln.routing.VersionedMiniLm.hello;
import static dev.kiln.routing.VersionedMiniLm.infer;
import static dev.kiln.routing.VersionedMiniLm.json;
import static dev.kiln.routing.VersionedMiniLm.numbers;
import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two versions of MiniLM side by side: their own answers over V2 REST and gRPC, and a policy that drains one. */
@QuarkusTest
class ModelVersionsTest {

    @Inject
    ModelRegistry registry;

    @ConfigProperty(name = "quarkus.grpc.server.test-port")
    int grpcPort;

    @BeforeEach
    void twoVersions() throws Exception {
        Startup.awaitStarted();
        VersionedMiniLm.write();
    }

    @AfterEach
    void remove() throws Exception {
        VersionedMiniLm.remove();
    }

    @Test
    void eachVersionGivesItsOwnModelsAnswer() {
        List<Double> int8 = numbers(json(infer(VersionedMiniLm.INT8, hello()).statusCode(200)));
        List<Double> fp32 = numbers(json(infer(VersionedMiniLm.FP32, hello()).statusCode(200)));
        assertNotEquals(int8, fp32, "the int8 and fp32 builds answer differently");
        JsonNode one = json(infer(NAME + "/versions/1", hello()).statusCode(200));
        JsonNode two = json(infer(NAME + "/versions/2", hello()).statusCode(200));
        assertEquals("1", one.get("model_version").asText());
        assertEquals("2", two.get("model_version").asText());
        assertEquals(int8, numbers(one), "version 1 is the int8 model");
        assertEquals(fp32, numbers(two), "version 2 is the fp32 model");
        assertEquals(fp32, numbers(json(infer(NAME, hello()).statusCode(200))), "unversioned: the highest version");
    }

    @Test
    void versionedMetadataReadyAndErrors() {
        given().get("/v2/models/" + NAME).then().statusCode(200).body("versions", equalTo(List.of("1", "2")));
        given().get("/v2/models/" + NAME + "/versions/1").then().statusCode(200).body("inputs[0].name", equalTo("input_ids"));
        infer(NAME + "/versions/1", hello()).statusCode(200);
        given().get("/v2/models/" + NAME + "/versions/1/ready").then().statusCode(200).body("ready", equalTo(true));
        given().get("/v2/models/" + NAME + "/versions/9/ready").then().statusCode(404)
                .body("error", containsString("does not serve version 9"));
        infer(NAME + "/versions/nine", hello()).statusCode(404).body("error", containsString("has no version or alias 'nine'"));
        infer(NAME + "/versions/0", hello()).statusCode(404).body("error", containsString("'0'"));
    }

    @Test
    void grpcModelVersionPicksTheVersion() throws Exception {
        List<Double> rest = numbers(json(infer(NAME + "/versions/1", hello()).statusCode(200)));
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", grpcPort).usePlaintext().build();
        try {
            var kiln = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
            ModelInferResponse a = kiln.modelInfer(request("1"));
            assertEquals("1", a.getModelVersion());
            float[] got = floats(a);
            for (int i = 0; i < got.length; i++) {
                assertEquals((float) (double) rest.get(i), got[i], "element " + i + " as REST's version 1");
            }
            assertEquals("2", kiln.modelInfer(request("2")).getModelVersion());
            assertEquals("2", kiln.modelInfer(request("")).getModelVersion(), "no model_version: the default route");
            assertTrue(kiln.modelReady(ModelReadyRequest.newBuilder().setName(NAME).setVersion("1").build()).getReady());
            assertEquals(List.of("1", "2"), kiln.modelMetadata(ModelMetadataRequest.newBuilder().setName(NAME).setVersion("2").build())
                    .getVersionsList());
            List<String> rows = kiln.repositoryIndex(RepositoryIndexRequest.getDefaultInstance()).getModelsList().stream()
                    .filter(m -> m.getName().equals(NAME)).map(m -> m.getVersion()).toList();
            assertEquals(List.of("1", "2"), rows, "the gRPC index lists each version");
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /**
     * latest: 1 leaves version 1 out: its request in flight (a lease held, as a running request holds
     * one) finishes before its session goes, and clients calling both versions all along see only
     * answers: 200 from either, then 404 from version 1 once it is not served, never a 5xx.
     */
    @Test
    void latestOneUnloadsVersionOneAfterItsRequestsInFlight() throws Exception {
        infer(NAME + "/versions/1", hello()).statusCode(200);
        infer(NAME + "/versions/2", hello()).statusCode(200);
        Clients clients = Clients.start(4, i -> i % 2 == 0 ? NAME + "/versions/1" : NAME);
        Lease inFlight = registry.acquire(NAME, 1);
        var change = java.util.concurrent.CompletableFuture.supplyAsync(() ->
                VersionedMiniLm.put("version-policy", Map.of("latest", 1)).extract().statusCode());
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.find(NAME, 1).map(s -> s.state() == ModelState.UNLOADING).orElse(false));
        Thread.sleep(200);
        assertFalse(change.isDone(), "the change waits for the request in flight");
        assertEquals(1, registry.find(NAME, 1).orElseThrow().inFlight());
        inFlight.close();
        assertEquals(200, change.get(30, TimeUnit.SECONDS));
        Clients.Result r = clients.stop();
        assertTrue(registry.find(NAME, 1).isEmpty(), "version 1 is no longer served");
        assertTrue(VersionedMiniLm.manifest().contains("latest: 1"), VersionedMiniLm.manifest());
        infer(NAME + "/versions/1", hello()).statusCode(404).body("error", containsString("version_policy latest: 1"));
        given().get("/api/v1/setup/models/" + NAME + "/versions").then().statusCode(200)
                .body("versions[0].state", equalTo("NOT_SERVED")).body("versions[1].state", equalTo("READY"));
        JsonNode row = null;
        for (JsonNode m : json(V2.index().statusCode(200))) {
            if (m.get("name").asText().equals(NAME) && m.get("version").asText().equals("1")) {
                row = m;
            }
        }
        assertEquals("UNAVAILABLE", row.get("state").asText(), "still on disk, listed, not served");
        assertEquals("not served: version_policy latest: 1", row.get("reason").asText());
        VersionedMiniLm.put("version-policy", "\"all\"").statusCode(200).body("version_policy", equalTo("all"));
        assertEquals("1", json(infer(NAME + "/versions/1", hello()).statusCode(200)).get("model_version").asText(), "served again");
        assertEquals(List.of("2"), r.versions().stream().filter(v -> !v.equals("1")).distinct().toList());
        assertTrue(r.byStatus().keySet().stream().allMatch(s -> s == 200 || s == 404), "only 200 and 404: " + r.byStatus() + " " + r.samples());
        assertTrue(r.byStatus().getOrDefault(200, 0) > 0, "answers while it changed: " + r.byStatus());
        assertEquals(0, r.failures(), "no request failed on the wire");
    }

    /**
     * A request id lands on the same version whichever transport carries it: gRPC's id, or its x-request-id
     * metadata (which goes before the id, as REST's header goes before the body's), as REST's X-Request-Id.
     */
    @Test
    void aRequestIdLandsAlikeOverGrpcAndRest() throws Exception {
        VersionedMiniLm.put("routing", Map.of("aliases", Map.of("stable", 1, "canary", 2), "weights", Map.of("stable", 50, "canary", 50)))
                .statusCode(200);
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", grpcPort).usePlaintext().build();
        try {
            var kiln = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (int i = 0; i < 20; i++) {
                String id = "call-" + i;
                String rest = given().contentType("application/json").header("X-Request-Id", id).body(hello())
                        .post("/v2/models/" + NAME + "/infer").then().statusCode(200).extract().path("model_version");
                String grpc = kiln.modelInfer(request("").toBuilder().setId(id).build()).getModelVersion();
                assertEquals(rest, grpc, id);
                Metadata metadata = new Metadata();
                metadata.put(Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER), id);
                String byMetadata = kiln.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata))
                        .modelInfer(request("").toBuilder().setId("another-" + i).build()).getModelVersion();
                assertEquals(rest, byMetadata, id + " as x-request-id metadata lands where the header did, whatever the message's id");
                seen.add(grpc);
            }
            assertEquals(java.util.Set.of("1", "2"), seen, "20 ids reach both versions of a 50/50 split");
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /**
     * Attack on the x-request-id metadata (attack-ft): the same id, padded with spaces or given twice, must land
     * where REST's X-Request-Id header lands. REST's header is read trimmed (HTTP drops a value's surrounding
     * whitespace) and by its first value; the metadata today is used untrimmed and by its last value.
     */
    @Test
    void aPaddedOrRepeatedRequestIdLandsAlikeOverGrpcAndRest() throws Exception {
        VersionedMiniLm.put("routing", Map.of("aliases", Map.of("stable", 1, "canary", 2), "weights", Map.of("stable", 50, "canary", 50)))
                .statusCode(200);
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", grpcPort).usePlaintext().build();
        Metadata.Key<String> key = Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
        try {
            var kiln = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
            List<String> differ = new java.util.ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String id = "call-" + i;
                String other = "call-" + (i + 20);
                String restPadded = given().contentType("application/json").header("X-Request-Id", " " + id + " ").body(hello())
                        .post("/v2/models/" + NAME + "/infer").then().statusCode(200).extract().path("model_version");
                Metadata padded = new Metadata();
                padded.put(key, " " + id + " ");
                String grpcPadded = kiln.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(padded))
                        .modelInfer(request("")).getModelVersion();
                if (!restPadded.equals(grpcPadded)) {
                    differ.add("' " + id + " ': REST " + restPadded + ", gRPC " + grpcPadded);
                }
                String restTwice = given().contentType("application/json").header("X-Request-Id", id, other).body(hello())
                        .post("/v2/models/" + NAME + "/infer").then().statusCode(200).extract().path("model_version");
                Metadata twice = new Metadata();
                twice.put(key, id);
                twice.put(key, other);
                String grpcTwice = kiln.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(twice))
                        .modelInfer(request("")).getModelVersion();
                if (!restTwice.equals(grpcTwice)) {
                    differ.add("[" + id + ", " + other + "]: REST " + restTwice + ", gRPC " + grpcTwice);
                }
            }
            assertEquals(List.of(), differ, "padded or repeated ids land alike over REST and gRPC");
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    static ModelInferRequest request(String version) {
        ModelInferRequest.Builder r = ModelInferRequest.newBuilder().setModelName(NAME).setModelVersion(version);
        long[] ids = {101, 7592, 2088, 102};
        for (String name : List.of("input_ids", "attention_mask", "token_type_ids")) {
            ByteBuffer b = ByteBuffer.allocate(ids.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (long id : ids) {
                b.putLong(name.equals("input_ids") ? id : name.equals("attention_mask") ? 1 : 0);
            }
            r.addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName(name).setDatatype("INT64").addShape(1).addShape(4));
            r.addRawInputContents(com.google.protobuf.ByteString.copyFrom(b.array()));
        }
        return r.build();
    }

    static float[] floats(ModelInferResponse a) {
        ByteBuffer b = a.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }
}
