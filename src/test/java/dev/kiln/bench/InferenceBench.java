package dev.kiln.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The two halves of bench/inference.sh that need Java.
 * <ul>
 * <li>{@code bodies <dir>}: writes the request bodies the load generator sends (V2 JSON and V2
 *     binary) for MiniLM-q with 8 and 128 tokens and PP-OCRv4 detection at 640×640.</li>
 * <li>{@code grpc <host:port> <case> <clients> <seconds>}: the same requests as V2 gRPC ModelInfer
 *     with raw contents, from {@code clients} threads on one channel (one HTTP/2 connection), as
 *     Triton's and KServe's clients do; prints p50 and requests per second like the others.</li>
 * <li>{@code grpc-live <host:port> <clients> <seconds>}: ServerLive on the same kind of channel, the
 *     floor of the gRPC transport and this client (compare GET /v2/health/live for REST).</li>
 * <li>{@code grpc-frame <host:port> <case> <file>}: the case's ModelInfer as the length-prefixed body
 *     h2load posts, and the size of a real answer to it (how bench/inference.sh checks h2load's calls).</li>
 * <li>{@code inprocess <repo> <case> <clients> <seconds>}: the same work done by ONNX Runtime in
 *     this process, with Kiln's session options (one global intra-op pool of {@code -Dintra=N} threads,
 *     the CPUs by default; no spinning, CPU arena on): build the input tensors from Java arrays, run, read the output into
 *     a Java array. Prints p50 (ms) and requests per second, as the wrk script does.</li>
 * </ul>
 */
public final class InferenceBench {

    /**
     * How long the in-process loop and the gRPC client run unmeasured before they are measured
     * ({@code -Dclient.warmup=S}): each cell is a JVM of its own, whose JIT would otherwise compile
     * on the same two cores while it is measured (wrk, written in C, needs no warm-up).
     */
    static final int CLIENT_WARMUP_SECONDS = Integer.getInteger("client.warmup", 10);

    record Case(String model, Map<String, long[]> shapes, boolean text) {
    }

    static final Map<String, Case> CASES = Map.of(
            "minilm8", text("all-minilm-l6-v2-q", 8), "minilm128", text("all-minilm-l6-v2-q", 128),
            // fp32: the int8 model cannot be batched exactly (DynamicQuantizeLinear), so batching is measured here
            "minilm8fp32", text("all-minilm-l6-v2", 8),
            "det640", new Case("ppocr-v4-det", Map.of("x", new long[]{1, 3, 640, 640}), false));

    static Case text(String model, int tokens) {
        long[] shape = {1, tokens};
        return new Case(model, Map.of("input_ids", shape, "attention_mask", shape, "token_type_ids", shape), true);
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "bodies" -> bodies(Path.of(args[1]));
            case "inprocess" -> inProcess(Path.of(args[1]), CASES.get(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]));
            case "grpc" -> grpc(args[1], CASES.get(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]));
            case "grpc-live" -> grpcLive(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            case "grpc-frame" -> grpcFrame(args[1], CASES.get(args[2]), Path.of(args[3]));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    /** The values every request carries: token ids 1000+i, masks 1, token types 0; pixels in [0, 1). */
    static long[] longs(String input, int n) {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = input.equals("input_ids") ? 1000 + i : input.equals("attention_mask") ? 1 : 0;
        }
        return v;
    }

    static float[] floats(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (i % 997) / 997f;
        }
        return v;
    }

    static int count(long[] shape) {
        return (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    }

    static void bodies(Path dir) throws Exception {
        Files.createDirectories(dir);
        for (var e : CASES.entrySet()) {
            Case c = e.getValue();
            StringBuilder json = new StringBuilder("{\"inputs\":[");
            StringBuilder header = new StringBuilder("{\"inputs\":[");
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            boolean first = true;
            for (String input : c.shapes().keySet().stream().sorted().toList()) {
                long[] shape = c.shapes().get(input);
                int n = count(shape);
                String type = c.text() ? "INT64" : "FP32";
                String head = (first ? "" : ",") + "{\"name\":\"" + input + "\",\"datatype\":\"" + type + "\",\"shape\":"
                        + Arrays.toString(shape).replace(" ", "");
                json.append(head).append(",\"data\":[");
                ByteBuffer b = ByteBuffer.allocate(n * (c.text() ? 8 : 4)).order(ByteOrder.LITTLE_ENDIAN);
                if (c.text()) {
                    long[] v = longs(input, n);
                    for (int i = 0; i < n; i++) {
                        json.append(i == 0 ? "" : ",").append(v[i]);
                        b.putLong(v[i]);
                    }
                } else {
                    float[] v = floats(n);
                    for (int i = 0; i < n; i++) {
                        json.append(i == 0 ? "" : ",").append(v[i]);
                        b.putFloat(v[i]);
                    }
                }
                json.append("]}");
                header.append(head).append(",\"parameters\":{\"binary_data_size\":").append(b.capacity()).append("}}");
                raw.write(b.array());
                first = false;
            }
            json.append("]}");
            header.append("],\"parameters\":{\"binary_data_output\":true}}");
            Files.writeString(dir.resolve(e.getKey() + ".json"), json);
            byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream bin = new ByteArrayOutputStream();
            bin.write(h);
            bin.write(raw.toByteArray());
            Files.write(dir.resolve(e.getKey() + ".bin"), bin.toByteArray());
            Files.writeString(dir.resolve(e.getKey() + ".bin.header-length"), String.valueOf(h.length));
        }
    }

    static void inProcess(Path repo, Case c, int clients, int seconds) throws Exception {
        OrtEnvironment env;
        try (OrtEnvironment.ThreadingOptions t = new OrtEnvironment.ThreadingOptions()) {
            t.setGlobalIntraOpNumThreads(Integer.getInteger("intra", Runtime.getRuntime().availableProcessors()));
            t.setGlobalInterOpNumThreads(1);
            t.setGlobalSpinControl(false);
            env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "bench", t);
        }
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.disablePerSessionThreads();
            o.setCPUArenaAllocator(true);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession s = env.createSession(repo.resolve(c.model()).resolve("model.onnx").toString(), o)) {
                for (int i = 0; i < 50; i++) {
                    once(env, s, c);
                }
                ClosedLoop.warm(clients, CLIENT_WARMUP_SECONDS, () -> once(env, s, c), null);
                ClosedLoop.measure(clients, seconds, () -> once(env, s, c), null);
            }
        }
    }

    /** What a Java program using ONNX Runtime directly does per request: tensors in, run, floats out. */
    static float[] once(OrtEnvironment env, OrtSession s, Case c) throws Exception {
        Map<String, OnnxTensor> feeds = new HashMap<>();
        try {
            for (var e : c.shapes().entrySet()) {
                int n = count(e.getValue());
                feeds.put(e.getKey(), c.text()
                        ? OnnxTensor.createTensor(env, LongBuffer.wrap(longs(e.getKey(), n)), e.getValue())
                        : OnnxTensor.createTensor(env, FloatBuffer.wrap(floats(n)), e.getValue()));
            }
            try (OrtSession.Result r = s.run(feeds)) {
                FloatBuffer out = ((OnnxTensor) r.get(0)).getFloatBuffer();
                float[] a = new float[out.remaining()];
                out.get(a);
                return a;
            }
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    static inference.ModelInferRequest grpcRequest(Case c) {
        inference.ModelInferRequest.Builder r = inference.ModelInferRequest.newBuilder().setModelName(c.model());
        for (String input : c.shapes().keySet().stream().sorted().toList()) {
            long[] shape = c.shapes().get(input);
            int n = count(shape);
            ByteBuffer b = ByteBuffer.allocate(n * (c.text() ? 8 : 4)).order(ByteOrder.LITTLE_ENDIAN);
            if (c.text()) {
                for (long v : longs(input, n)) {
                    b.putLong(v);
                }
            } else {
                for (float v : floats(n)) {
                    b.putFloat(v);
                }
            }
            inference.ModelInferRequest.InferInputTensor.Builder t = inference.ModelInferRequest.InferInputTensor.newBuilder()
                    .setName(input).setDatatype(c.text() ? "INT64" : "FP32");
            for (long d : shape) {
                t.addShape(d);
            }
            r.addInputs(t).addRawInputContents(com.google.protobuf.ByteString.copyFrom(b.array()));
        }
        return r.build();
    }

    static void grpc(String target, Case c, int clients, int seconds) throws Exception {
        io.grpc.ManagedChannel channel = io.grpc.ManagedChannelBuilder.forTarget(target).usePlaintext()
                .maxInboundMessageSize(64 << 20).build();
        try {
            var stub = inference.GRPCInferenceServiceGrpc.newBlockingStub(channel);
            inference.ModelInferRequest request = grpcRequest(c);
            ClosedLoop.warm(clients, CLIENT_WARMUP_SECONDS, () -> stub.modelInfer(request), io.grpc.StatusRuntimeException.class);
            ClosedLoop.measure(clients, seconds, () -> stub.modelInfer(request), io.grpc.StatusRuntimeException.class);
        } finally {
            channel.shutdownNow();
        }
    }

    static void grpcLive(String target, int clients, int seconds) throws Exception {
        io.grpc.ManagedChannel channel = io.grpc.ManagedChannelBuilder.forTarget(target).usePlaintext().build();
        try {
            var stub = inference.GRPCInferenceServiceGrpc.newBlockingStub(channel);
            inference.ServerLiveRequest live = inference.ServerLiveRequest.getDefaultInstance();
            ClosedLoop.warm(clients, CLIENT_WARMUP_SECONDS, () -> stub.serverLive(live), io.grpc.StatusRuntimeException.class);
            ClosedLoop.measure(clients, seconds, () -> stub.serverLive(live), io.grpc.StatusRuntimeException.class);
        } finally {
            channel.shutdownNow();
        }
    }

    /**
     * Writes the case's ModelInfer request as one gRPC length-prefixed message (the body h2load posts)
     * to {@code file}, sends it once through grpc-java and prints the length-prefixed size of the
     * answer: every successful answer to that body has exactly this many data bytes.
     */
    static void grpcFrame(String target, Case c, Path file) throws Exception {
        inference.ModelInferRequest request = grpcRequest(c);
        Files.write(file, frame(request.toByteArray()));
        io.grpc.ManagedChannel channel = io.grpc.ManagedChannelBuilder.forTarget(target).usePlaintext()
                .maxInboundMessageSize(64 << 20).build();
        try {
            var answer = inference.GRPCInferenceServiceGrpc.newBlockingStub(channel).modelInfer(request);
            System.out.println(5 + answer.getSerializedSize());
        } finally {
            channel.shutdownNow();
        }
    }

    /** gRPC's message framing: no compression, the length as four big-endian bytes, the message. */
    static byte[] frame(byte[] message) {
        return ByteBuffer.allocate(5 + message.length).put((byte) 0).putInt(message.length).put(message).array();
    }
}
