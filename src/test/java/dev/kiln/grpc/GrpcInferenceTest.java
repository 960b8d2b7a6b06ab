package dev.kiln.grpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import dev.kiln.runtime.TinyOnnx;
import dev.kiln.testing.Json;
import dev.kiln.testing.Startup;
import dev.kiln.testing.TestRepository;
import dev.kiln.testing.V2;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse;
import inference.GRPCInferenceServiceGrpc;
import inference.InferTensorContents;
import inference.ModelInferRequest;
import inference.ModelInferResponse;
import inference.ModelMetadataRequest;
import inference.ModelMetadataResponse;
import inference.ModelReadyRequest;
import inference.RepositoryIndexRequest;
import inference.ServerLiveRequest;
import inference.ServerMetadataRequest;
import inference.ServerReadyRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** KServe V2 over gRPC with a real grpc-java client generated from the same proto. */
@QuarkusTest
public class GrpcInferenceTest {

    static final String MINILM = "all-minilm-l6-v2-q";

    @ConfigProperty(name = "quarkus.grpc.server.test-port")
    int port;

    ManagedChannel channel;
    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub kiln;

    @BeforeAll
    static void writeModels() throws Exception {
        TestRepository.writeModel("grpc-fp32", TinyOnnx.identity(TinyOnnx.FLOAT, -1));
        TestRepository.writeModel("grpc-fp64", TinyOnnx.identity(TinyOnnx.DOUBLE, -1));
        TestRepository.writeModel("grpc-fp16", TinyOnnx.identity(TinyOnnx.FLOAT16, -1));
        TestRepository.writeModel("grpc-int8", TinyOnnx.identity(TinyOnnx.INT8, -1));
        TestRepository.writeModel("grpc-uint8", TinyOnnx.identity(TinyOnnx.UINT8, -1));
        TestRepository.writeModel("grpc-int16", TinyOnnx.identity(TinyOnnx.INT16, -1));
        TestRepository.writeModel("grpc-int32", TinyOnnx.identity(TinyOnnx.INT32, -1));
        TestRepository.writeModel("grpc-int64", TinyOnnx.identity(TinyOnnx.INT64, -1));
        TestRepository.writeModel("grpc-bool", TinyOnnx.identity(TinyOnnx.BOOL, -1));
        TestRepository.writeModel("grpc-bytes", TinyOnnx.identity(TinyOnnx.STRING, -1));
    }

    @AfterAll
    static void removeModels() throws Exception {
        for (String t : List.of("fp32", "fp64", "fp16", "int8", "uint8", "int16", "int32", "int64", "bool", "bytes")) {
            TestRepository.delete("grpc-" + t);
        }
    }

    @BeforeEach
    void connect() throws Exception {
        Startup.awaitStarted();
        V2.rescanAndIndex().statusCode(200);
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        kiln = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @AfterEach
    void disconnect() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void serverAndModelRpcs() throws Exception {
        assertTrue(kiln.serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
        // The models this test added are required but not loaded after the rescan: not ready, as on REST,
        // until a warm-up loads them.
        assertEquals(given().get("/v2/health/ready").statusCode() == 200,
                kiln.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
        given().post("/api/v1/setup/ai-models/warm-up").then().statusCode(200);
        assertTrue(kiln.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
        var meta = kiln.serverMetadata(ServerMetadataRequest.getDefaultInstance());
        assertEquals("kiln", meta.getName());
        assertTrue(meta.getExtensionsList().contains("binary_tensor_data"), meta.toString());
        assertTrue(kiln.modelReady(ModelReadyRequest.newBuilder().setName(MINILM).build()).getReady());
        ModelMetadataResponse m = kiln.modelMetadata(ModelMetadataRequest.newBuilder().setName(MINILM).build());
        assertEquals(List.of("1"), m.getVersionsList());
        assertEquals("onnx_onnxv1", m.getPlatform());
        assertEquals("input_ids", m.getInputs(0).getName());
        assertEquals("INT64", m.getInputs(0).getDatatype());
        assertEquals(-1, m.getInputs(0).getShape(0));
        var health = HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance());
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());
    }

    /** Server reflection lists the service, so grpcurl and friends work without the proto. */
    @Test
    void reflectionListsTheService() throws Exception {
        java.util.concurrent.CompletableFuture<java.util.List<String>> names = new java.util.concurrent.CompletableFuture<>();
        var requests = io.grpc.reflection.v1.ServerReflectionGrpc.newStub(channel).serverReflectionInfo(
                new io.grpc.stub.StreamObserver<io.grpc.reflection.v1.ServerReflectionResponse>() {
                    @Override
                    public void onNext(io.grpc.reflection.v1.ServerReflectionResponse r) {
                        names.complete(r.getListServicesResponse().getServiceList().stream()
                                .map(io.grpc.reflection.v1.ServiceResponse::getName).toList());
                    }

                    @Override
                    public void onError(Throwable t) {
                        names.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        requests.onNext(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("*").build());
        List<String> services = names.get(30, TimeUnit.SECONDS);
        requests.onCompleted();
        assertTrue(services.contains("inference.GRPCInferenceService"), services.toString());
        assertTrue(services.contains("grpc.health.v1.Health"), services.toString());
    }

    /** MiniLM-q's three inputs for these token ids, raw or typed (EventLoopRunsTest sends it too). */
    public static ModelInferRequest miniLm(boolean raw, long... ids) {
        ModelInferRequest.Builder r = ModelInferRequest.newBuilder().setModelName(MINILM).setId("g1");
        for (String name : List.of("input_ids", "attention_mask", "token_type_ids")) {
            long[] v = new long[ids.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = name.equals("input_ids") ? ids[i] : name.equals("attention_mask") ? 1 : 0;
            }
            ModelInferRequest.InferInputTensor.Builder t = ModelInferRequest.InferInputTensor.newBuilder()
                    .setName(name).setDatatype("INT64").addShape(1).addShape(ids.length);
            if (raw) {
                ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
                for (long x : v) {
                    b.putLong(x);
                }
                r.addRawInputContents(ByteString.copyFrom(b.array()));
            } else {
                InferTensorContents.Builder c = InferTensorContents.newBuilder();
                for (long x : v) {
                    c.addInt64Contents(x);
                }
                t.setContents(c);
            }
            r.addInputs(t);
        }
        return r.build();
    }

    static float[] floats(ModelInferResponse a) {
        if (a.getRawOutputContentsCount() > 0) {
            ByteBuffer b = a.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            float[] v = new float[b.remaining() / 4];
            b.asFloatBuffer().get(v);
            return v;
        }
        List<Float> list = a.getOutputs(0).getContents().getFp32ContentsList();
        float[] v = new float[list.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = list.get(i);
        }
        return v;
    }

    /** Raw and typed contents give the REST answer, to the bit. */
    @Test
    void miniLmOverGrpcEqualsRest() throws Exception {
        JsonNode rest = Json.of(V2.infer(MINILM, V2.helloWorld()).statusCode(200)).get("outputs").get(0).get("data");
        float[] expected = new float[rest.size()];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (float) rest.get(i).asDouble();
        }
        ModelInferResponse raw = kiln.modelInfer(miniLm(true, 101, 7592, 2088, 102));
        assertEquals("g1", raw.getId());
        assertEquals(MINILM, raw.getModelName());
        assertEquals(List.of(1L, 4L, 384L), raw.getOutputs(0).getShapeList());
        assertArrayEquals(expected, floats(raw));
        ModelInferResponse typed = kiln.modelInfer(miniLm(false, 101, 7592, 2088, 102));
        assertEquals(0, typed.getRawOutputContentsCount(), "typed in, typed out");
        assertArrayEquals(expected, floats(typed));
    }

    /** BYTES that are not UTF-8, typed or raw: INVALID_ARGUMENT naming the input and the offset (they came back as U+FFFD). */
    @Test
    void bytesThatAreNotUtf8AreInvalidArguments() throws Exception {
        ByteString bad = ByteString.copyFrom(new byte[]{'a', (byte) 0xc3, '('});      // 0xc3 needs a continuation byte
        InferTensorContents contents = InferTensorContents.newBuilder().addBytesContents(ByteString.copyFromUtf8("ok"))
                .addBytesContents(bad).build();
        StatusRuntimeException typed = assertThrows(StatusRuntimeException.class, () -> kiln.modelInfer(ModelInferRequest.newBuilder()
                .setModelName("grpc-bytes").addInputs(tensor("BYTES", 2).setContents(contents)).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, typed.getStatus().getCode());
        assertTrue(typed.getStatus().getDescription().contains("input 'X': BYTES element 1 is not valid UTF-8 (byte 0xc3 at offset 1"),
                typed.getStatus().getDescription());
        byte[] raw = rawLayout("BYTES", contents);
        StatusRuntimeException rawError = assertThrows(StatusRuntimeException.class, () -> kiln.modelInfer(ModelInferRequest.newBuilder()
                .setModelName("grpc-bytes").addInputs(tensor("BYTES", 2)).addRawInputContents(ByteString.copyFrom(raw)).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, rawError.getStatus().getCode());
        assertTrue(rawError.getStatus().getDescription().contains("offset 1 of the element, 11 of the input's data"),
                rawError.getStatus().getDescription());
    }

    /**
     * A shape of 3,000 dimensions is refused with a reason the client can read: printed whole, it made a
     * 9 KB status message, past grpc-java's 8 KB header limit, and the caller got RST_STREAM (INTERNAL).
     */
    @Test
    void aShapeOfThousandsOfDimensionsGetsAShortReason() {
        ModelInferRequest.InferInputTensor.Builder input = ModelInferRequest.InferInputTensor.newBuilder().setName("X").setDatatype("FP32");
        for (int i = 0; i < 3_000; i++) {
            input.addShape(1);
        }
        input.setContents(InferTensorContents.newBuilder().addFp32Contents(1f));
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> kiln.modelInfer(ModelInferRequest.newBuilder()
                .setModelName("grpc-fp32").addInputs(input).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode(), String.valueOf(refused.getStatus()));
        String reason = refused.getStatus().getDescription();
        assertTrue(reason.contains("[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ... (3000 dimensions)]") && reason.length() < 1_000, reason);
    }

    /** Bytes that are not a ModelInferRequest: INVALID_ARGUMENT with the reason, not grpc-java's UNKNOWN "Application error". */
    @Test
    void aMessageThatIsNotProtobufIsAnInvalidArgument() throws Exception {
        io.grpc.MethodDescriptor.Marshaller<byte[]> raw = new io.grpc.MethodDescriptor.Marshaller<>() {
            @Override
            public java.io.InputStream stream(byte[] value) {
                return new java.io.ByteArrayInputStream(value);
            }

            @Override
            public byte[] parse(java.io.InputStream stream) {
                try {
                    return stream.readAllBytes();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
        io.grpc.MethodDescriptor<byte[], byte[]> infer = GRPCInferenceServiceGrpc.getModelInferMethod().toBuilder(raw, raw).build();
        // A field tag with wire type 7, which protobuf does not have; then a string field whose length runs past the end.
        for (byte[] garbage : List.of(new byte[]{(byte) 0x0f, 1, 2, 3}, new byte[]{0x0a, 0x7f, 'a'})) {
            StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                    () -> io.grpc.stub.ClientCalls.blockingUnaryCall(channel, infer, io.grpc.CallOptions.DEFAULT, garbage));
            assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode(), String.valueOf(refused.getStatus()));
            assertTrue(refused.getStatus().getDescription().contains("not a ModelInferRequest: it is not valid protobuf"),
                    String.valueOf(refused.getStatus()));
        }
        // An empty message parses (every field at its default): it is an ordinary request without a model name.
        StatusRuntimeException empty = assertThrows(StatusRuntimeException.class,
                () -> io.grpc.stub.ClientCalls.blockingUnaryCall(channel, infer, io.grpc.CallOptions.DEFAULT, new byte[0]));
        assertTrue(!String.valueOf(empty.getStatus().getDescription()).contains("not valid protobuf"), String.valueOf(empty.getStatus()));
        io.grpc.MethodDescriptor<byte[], byte[]> metadata = GRPCInferenceServiceGrpc.getModelMetadataMethod().toBuilder(raw, raw).build();
        StatusRuntimeException other = assertThrows(StatusRuntimeException.class,
                () -> io.grpc.stub.ClientCalls.blockingUnaryCall(channel, metadata, io.grpc.CallOptions.DEFAULT, new byte[]{(byte) 0xff, (byte) 0xff}));
        assertEquals(Status.Code.INVALID_ARGUMENT, other.getStatus().getCode(), "every RPC alike: " + other.getStatus());
        assertTrue(other.getStatus().getDescription().contains("not a ModelMetadataRequest"), String.valueOf(other.getStatus()));
        assertTrue(kiln.serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
    }

    static ModelInferRequest.InferInputTensor.Builder tensor(String type, int n) {
        return ModelInferRequest.InferInputTensor.newBuilder().setName("X").setDatatype(type).addShape(n);
    }

    /** Typed contents in the raw layout of their datatype (little-endian, row-major, BYTES length-prefixed). */
    static byte[] rawLayout(String type, InferTensorContents c) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4096).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case "BOOL" -> c.getBoolContentsList().forEach(v -> b.put((byte) (v ? 1 : 0)));
            case "INT8" -> c.getIntContentsList().forEach(v -> b.put(v.byteValue()));
            case "UINT8" -> c.getUintContentsList().forEach(v -> b.put(v.byteValue()));
            case "INT16" -> c.getIntContentsList().forEach(v -> b.putShort(v.shortValue()));
            case "INT32" -> c.getIntContentsList().forEach(b::putInt);
            case "INT64" -> c.getInt64ContentsList().forEach(b::putLong);
            case "FP32" -> c.getFp32ContentsList().forEach(b::putFloat);
            case "FP64" -> c.getFp64ContentsList().forEach(b::putDouble);
            case "BYTES" -> c.getBytesContentsList().forEach(s -> b.putInt(s.size()).put(s.toByteArray()));
            default -> throw new IllegalArgumentException(type);
        }
        return java.util.Arrays.copyOf(b.array(), b.position());
    }

    /** Every datatype through a real identity session, typed in and out and raw in and out. */
    @Test
    void everyDatatypeRoundTrips() throws Exception {
        Map<String, InferTensorContents> typed = Map.of(
                "fp32", InferTensorContents.newBuilder().addFp32Contents(1.5f).addFp32Contents(-2.25f).build(),
                "fp64", InferTensorContents.newBuilder().addFp64Contents(1.0000000001).addFp64Contents(-1e300).build(),
                "int8", InferTensorContents.newBuilder().addIntContents(-128).addIntContents(127).build(),
                "uint8", InferTensorContents.newBuilder().addUintContents(0).addUintContents(255).build(),
                "int16", InferTensorContents.newBuilder().addIntContents(-32768).addIntContents(32767).build(),
                "int32", InferTensorContents.newBuilder().addIntContents(Integer.MIN_VALUE).addIntContents(7).build(),
                "int64", InferTensorContents.newBuilder().addInt64Contents(9007199254740993L).addInt64Contents(-5).build(),
                "bool", InferTensorContents.newBuilder().addBoolContents(true).addBoolContents(false).build(),
                "bytes", InferTensorContents.newBuilder().addBytesContents(ByteString.copyFromUtf8("héllo"))
                        .addBytesContents(ByteString.EMPTY).build());
        for (var e : typed.entrySet()) {
            String type = e.getKey().toUpperCase();
            ModelInferResponse a = kiln.modelInfer(ModelInferRequest.newBuilder().setModelName("grpc-" + e.getKey())
                    .addInputs(tensor(type, 2).setContents(e.getValue())).build());
            assertEquals(type, a.getOutputs(0).getDatatype());
            assertEquals(e.getValue(), a.getOutputs(0).getContents(), type + " typed round trip");
            byte[] raw = rawLayout(type, e.getValue());
            ModelInferResponse r = kiln.modelInfer(ModelInferRequest.newBuilder().setModelName("grpc-" + e.getKey())
                    .addInputs(tensor(type, 2)).addRawInputContents(ByteString.copyFrom(raw)).build());
            assertEquals(ByteString.copyFrom(raw), r.getRawOutputContents(0), type + " raw round trip");
        }
        byte[] half = {0x00, 0x38, 0x00, (byte) 0xBC}; // 0.5, -1.0 in IEEE half precision, little-endian
        ModelInferResponse f16 = kiln.modelInfer(ModelInferRequest.newBuilder().setModelName("grpc-fp16")
                .addInputs(tensor("FP16", 2)).addRawInputContents(ByteString.copyFrom(half)).build());
        assertEquals(ByteString.copyFrom(half), f16.getRawOutputContents(0));
        StatusRuntimeException typedHalf = assertThrows(StatusRuntimeException.class, () -> kiln.modelInfer(ModelInferRequest.newBuilder()
                .setModelName("grpc-fp16").addInputs(tensor("FP16", 1).setContents(InferTensorContents.newBuilder().addFp32Contents(1f)))
                .build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, typedHalf.getStatus().getCode());
    }

    @Test
    void requestedOutputsAndParameters() throws Exception {
        ModelInferRequest r = miniLm(true, 101, 102).toBuilder()
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("last_hidden_state")).build();
        ModelInferResponse a = kiln.modelInfer(r);
        assertEquals(1, a.getOutputsCount());
        assertEquals("last_hidden_state", a.getOutputs(0).getName());
        StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class, () -> kiln.modelInfer(miniLm(true, 101, 102)
                .toBuilder().addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("nope")).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, unknown.getStatus().getCode());
        // Each copy used to be answered again: 200 copies of a large output took the direct memory.
        ModelInferRequest.InferRequestedOutputTensor same = ModelInferRequest.InferRequestedOutputTensor.newBuilder()
                .setName("last_hidden_state").build();
        StatusRuntimeException twice = assertThrows(StatusRuntimeException.class, () -> kiln.modelInfer(miniLm(true, 101, 102)
                .toBuilder().addOutputs(same).addOutputs(same).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, twice.getStatus().getCode());
        assertTrue(twice.getStatus().getDescription().contains("'last_hidden_state' is asked for more than once"),
                twice.getStatus().getDescription());
    }

    @Test
    void errorsMapToTheirStatusCodes() throws Exception {
        StatusRuntimeException missing = assertThrows(StatusRuntimeException.class,
                () -> kiln.modelInfer(ModelInferRequest.newBuilder().setModelName("no-such-model").build()));
        assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode());
        StatusRuntimeException version = assertThrows(StatusRuntimeException.class,
                () -> kiln.modelInfer(miniLm(true, 101, 102).toBuilder().setModelVersion("7").build()));
        assertEquals(Status.Code.NOT_FOUND, version.getStatus().getCode());
        StatusRuntimeException shape = assertThrows(StatusRuntimeException.class, () -> kiln.modelInfer(ModelInferRequest
                .newBuilder().setModelName("grpc-fp32").addInputs(tensor("FP32", 3)
                        .setContents(InferTensorContents.newBuilder().addFp32Contents(1f))).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, shape.getStatus().getCode());
        assertTrue(shape.getStatus().getDescription().contains("X"), shape.getStatus().getDescription());
        StatusRuntimeException outOfVocabulary = assertThrows(StatusRuntimeException.class,
                () -> kiln.modelInfer(miniLm(true, 101, 99_999_999, 102)));
        assertEquals(Status.Code.INVALID_ARGUMENT, outOfVocabulary.getStatus().getCode());
        given().contentType("application/json").body(Map.of("name", "grpc-int8", "enabled", false))
                .post("/api/v1/setup/ai-models/enable").then().statusCode(200);
        try {
            StatusRuntimeException disabled = assertThrows(StatusRuntimeException.class, () -> kiln.modelInfer(ModelInferRequest
                    .newBuilder().setModelName("grpc-int8").addInputs(tensor("INT8", 1)
                            .setContents(InferTensorContents.newBuilder().addIntContents(1))).build()));
            assertEquals(Status.Code.FAILED_PRECONDITION, disabled.getStatus().getCode());
        } finally {
            given().contentType("application/json").body(Map.of("name", "grpc-int8", "enabled", true))
                    .post("/api/v1/setup/ai-models/enable").then().statusCode(200);
        }
        // Without a token configured (test profile), the repository RPCs are open, as REST is.
        assertTrue(kiln.repositoryIndex(RepositoryIndexRequest.getDefaultInstance()).getModelsCount() >= 5);
    }

    /** 32 different requests at once on one channel: each gets its own answer. */
    @Test
    void thirtyTwoConcurrentCallsOnOneChannel() throws Exception {
        var async = GRPCInferenceServiceGrpc.newFutureStub(channel);
        List<float[]> alone = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            alone.add(floats(kiln.modelInfer(miniLm(true, 101, 1000 + i, 2000 + i, 102))));
        }
        List<com.google.common.util.concurrent.ListenableFuture<ModelInferResponse>> answers = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            answers.add(async.modelInfer(miniLm(true, 101, 1000 + i, 2000 + i, 102)));
        }
        for (int i = 0; i < 32; i++) {
            assertArrayEquals(alone.get(i), floats(answers.get(i).get(60, TimeUnit.SECONDS)), "answer " + i);
        }
        String metrics = given().header("Accept", "text/plain; version=0.0.4").get("/q/metrics").asString();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("ai_model_transport_requests_total") && l.contains("transport=\"grpc\"")
                && l.contains(MINILM)), "gRPC requests are counted by transport");
    }
}
