import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.TextFormat;
import inference.InferParameter;
import inference.InferTensorContents;
import inference.ModelInferRequest;
import inference.ModelInferResponse;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Sends the same requests to two Kiln servers (OLD and NEW) and compares the answers byte for byte:
 * V2 REST (JSON and the binary extension), gRPC ModelInfer (raw and typed; the response's wire bytes)
 * and /v1/embeddings, on identity models of every datatype and on the demo models, plus bad requests.
 * Usage: java -cp <kiln classpath> AnswersAB.java OLD_HTTP OLD_GRPC NEW_HTTP NEW_GRPC OUT_DIR
 * (HTTP as http://127.0.0.1:18510, gRPC as 127.0.0.1:18511). Exit code 1 when a successful answer differs.
 */
public class AnswersAB {

    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    static final String IHCL = "Inference-Header-Content-Length";

    /** The wire answer: what is compared (status, meta, body) and what is only shown (other headers, trailers). */
    record Answer(String status, String meta, byte[] body, String extra) {
        boolean same(Answer o) {
            return status.equals(o.status) && meta.equals(o.meta) && Arrays.equals(body, o.body);
        }

        boolean ok() {
            return status.equals("200") || status.equals("OK");
        }
    }

    record Target(String name, String http, ManagedChannel grpc) {
    }

    interface Req {
        Answer send(Target t) throws Exception;
    }

    /** One request: how it is counted (transport, group), what it is (label, shown in the report), and how it is sent. */
    record Case(String transport, String group, String label, Req req) {
    }

    static final List<Case> CASES = new ArrayList<>();

    static void add(String transport, String group, String label, Req req) {
        CASES.add(new Case(transport, group, label, req));
    }

    // ---------------------------------------------------------------- HTTP

    static Answer http(Target t, String method, String path, String contentType, Map<String, String> headers, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(t.http() + path)).timeout(Duration.ofSeconds(120));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        headers.forEach(b::header);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        HttpResponse<byte[]> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        String ct = r.headers().firstValue("content-type").orElse("-");
        String ihcl = r.headers().firstValue(IHCL).orElse("-");
        TreeMap<String, List<String>> others = new TreeMap<>(r.headers().map());
        others.keySet().removeIf(k -> k.equalsIgnoreCase("content-type") || k.equalsIgnoreCase(IHCL) || k.equalsIgnoreCase("content-length"));
        return new Answer(Integer.toString(r.statusCode()), "content-type=" + ct + " " + IHCL + "=" + ihcl, r.body(), others.toString());
    }

    static Req post(String path, String contentType, byte[] body) {
        return t -> http(t, "POST", path, contentType, Map.of(), body);
    }

    static Req postJson(String path, String json) {
        return post(path, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------- gRPC

    static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
    };

    /** ModelInfer whose answer is kept as the bytes that came on the wire (not re-serialised). */
    static final MethodDescriptor<ModelInferRequest, byte[]> INFER = MethodDescriptor.<ModelInferRequest, byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("inference.GRPCInferenceService/ModelInfer")
            .setRequestMarshaller(ProtoUtils.marshaller(ModelInferRequest.getDefaultInstance())).setResponseMarshaller(BYTES).build();

    static Answer grpc(Target t, ModelInferRequest r) {
        try {
            byte[] bytes = ClientCalls.blockingUnaryCall(t.grpc(), INFER, CallOptions.DEFAULT.withDeadlineAfter(120, TimeUnit.SECONDS), r);
            return new Answer("OK", "", bytes, "");
        } catch (StatusRuntimeException e) {
            Metadata trailers = e.getTrailers();
            String shown = trailers == null ? "" : trailers.keys().stream().sorted().map(k -> k.endsWith("-bin")
                    ? k + "=" + HexFormat.of().formatHex(trailers.get(Metadata.Key.of(k, Metadata.BINARY_BYTE_MARSHALLER)))
                    : k + "=" + trailers.get(Metadata.Key.of(k, Metadata.ASCII_STRING_MARSHALLER))).collect(Collectors.joining(" "));
            String desc = e.getStatus().getDescription();
            return new Answer(e.getStatus().getCode().name(), "description=" + desc, (desc == null ? "" : desc).getBytes(StandardCharsets.UTF_8), shown);
        }
    }

    // ---------------------------------------------------------------- tensors

    /** One input tensor in every form: JSON values (flat, as text), raw little-endian bytes, typed protobuf contents (null: none). */
    record Tensor(String name, String datatype, long[] shape, List<String> json, byte[] raw, InferTensorContents typed) {
        Tensor named(String n) {
            return new Tensor(n, datatype, shape, json, raw, typed);
        }

        Tensor shaped(long... s) {
            return new Tensor(name, datatype, s, json, raw, typed);
        }
    }

    static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    static String floatJson(double v, boolean single) {
        if (Double.isNaN(v)) {
            return "\"NaN\"";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
        }
        return single ? Float.toString((float) v) : Double.toString(v);
    }

    static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    static Tensor fp32(String name, float[] v, long... shape) {
        ByteBuffer raw = le(v.length * 4);
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        List<String> json = new ArrayList<>();
        for (float f : v) {
            raw.putFloat(f);
            c.addFp32Contents(f);
            json.add(floatJson(f, true));
        }
        return new Tensor(name, "FP32", shape.length == 0 ? new long[]{v.length} : shape, json, raw.array(), c.build());
    }

    static Tensor fp32Bits(String name, int... bits) {
        float[] v = new float[bits.length];
        for (int i = 0; i < bits.length; i++) {
            v[i] = Float.intBitsToFloat(bits[i]);
        }
        Tensor t = fp32(name, v);
        ByteBuffer raw = le(bits.length * 4);     // the bits exactly, NaN payloads included
        for (int b : bits) {
            raw.putInt(b);
        }
        return new Tensor(t.name(), t.datatype(), t.shape(), t.json(), raw.array(), t.typed());
    }

    static Tensor fp64(String name, double... v) {
        ByteBuffer raw = le(v.length * 8);
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        List<String> json = new ArrayList<>();
        for (double d : v) {
            raw.putDouble(d);
            c.addFp64Contents(d);
            json.add(floatJson(d, false));
        }
        return new Tensor(name, "FP64", new long[]{v.length}, json, raw.array(), c.build());
    }

    static Tensor fp64Bits(String name, long... bits) {
        ByteBuffer raw = le(bits.length * 8);
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        List<String> json = new ArrayList<>();
        for (long b : bits) {
            raw.putLong(b);
            c.addFp64Contents(Double.longBitsToDouble(b));
            json.add(floatJson(Double.longBitsToDouble(b), false));
        }
        return new Tensor(name, "FP64", new long[]{bits.length}, json, raw.array(), c.build());
    }

    /** FP16 from JSON numbers (Kiln converts) and, separately, raw half bits; no typed form exists. */
    static Tensor fp16(String name, double[] json, short[] bits) {
        List<String> j = json == null ? null : Arrays.stream(json).mapToObj(d -> floatJson(d, false)).toList();
        ByteBuffer raw = null;
        if (bits != null) {
            raw = le(bits.length * 2);
            for (short s : bits) {
                raw.putShort(s);
            }
        }
        long n = json != null ? json.length : bits.length;
        return new Tensor(name, "FP16", new long[]{n}, j, raw == null ? null : raw.array(), null);
    }

    static Tensor ints(String name, String type, long... v) {
        int size = switch (type) {
            case "INT8", "UINT8" -> 1;
            case "INT16" -> 2;
            case "INT32" -> 4;
            default -> 8;
        };
        ByteBuffer raw = le(v.length * size);
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        List<String> json = new ArrayList<>();
        for (long x : v) {
            switch (size) {
                case 1 -> raw.put((byte) x);
                case 2 -> raw.putShort((short) x);
                case 4 -> raw.putInt((int) x);
                default -> raw.putLong(x);
            }
            switch (type) {
                case "UINT8" -> c.addUintContents((int) x);
                case "INT64" -> c.addInt64Contents(x);
                default -> c.addIntContents((int) x);
            }
            json.add(Long.toString(x));
        }
        return new Tensor(name, type, new long[]{v.length}, json, raw.array(), c.build());
    }

    static Tensor bools(String name, boolean... v) {
        ByteBuffer raw = le(v.length);
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        List<String> json = new ArrayList<>();
        for (boolean x : v) {
            raw.put((byte) (x ? 1 : 0));
            c.addBoolContents(x);
            json.add(Boolean.toString(x));
        }
        return new Tensor(name, "BOOL", new long[]{v.length}, json, raw.array(), c.build());
    }

    static Tensor strings(String name, String... v) {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        List<String> json = new ArrayList<>();
        for (String s : v) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            raw.writeBytes(le(4).putInt(u.length).array());
            raw.writeBytes(u);
            c.addBytesContents(ByteString.copyFrom(u));
            json.add(jsonString(s));
        }
        return new Tensor(name, "BYTES", new long[]{v.length}, json, raw.toByteArray(), c.build());
    }

    /** BYTES given as raw elements (any bytes, UTF-8 or not); JSON has no form for them. */
    static Tensor rawStrings(String name, byte[]... v) {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        for (byte[] u : v) {
            raw.writeBytes(le(4).putInt(u.length).array());
            raw.writeBytes(u);
            c.addBytesContents(ByteString.copyFrom(u));
        }
        return new Tensor(name, "BYTES", new long[]{v.length}, null, raw.toByteArray(), c.build());
    }

    static Tensor rawOnly(String name, String type, byte[] raw, long n) {
        return new Tensor(name, type, new long[]{n}, null, raw, null);
    }

    static String shapeJson(long[] s) {
        return Arrays.stream(s).mapToObj(Long::toString).collect(Collectors.joining(",", "[", "]"));
    }

    /** Flat values as JSON nested to the shape (nested=true) or flat. */
    static String dataJson(Tensor t, boolean nested) {
        if (!nested || t.shape().length < 2) {
            return String.join(",", t.json()).isEmpty() ? "[]" : "[" + String.join(",", t.json()) + "]";
        }
        return nest(t.json(), t.shape(), 0, new int[]{0});
    }

    static String nest(List<String> flat, long[] shape, int dim, int[] at) {
        StringBuilder b = new StringBuilder("[");
        for (long i = 0; i < shape[dim]; i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(dim == shape.length - 1 ? flat.get(at[0]++) : nest(flat, shape, dim + 1, at));
        }
        return b.append(']').toString();
    }

    // ---------------------------------------------------------------- V2 REST requests

    /** How a V2 REST request is written: which inputs go binary, what the answer should be, the id, the outputs filter. */
    record V2Form(boolean[] binaryIn, String id, List<String> outputs, Boolean outputBinary, boolean binaryDataOutput, boolean nested,
                  String version) {
    }

    static V2Form form() {
        return new V2Form(null, null, null, null, false, false, null);
    }

    static Req v2(String model, List<Tensor> inputs, V2Form f) {
        StringBuilder h = new StringBuilder("{");
        if (f.id() != null) {
            h.append("\"id\":").append(jsonString(f.id())).append(',');
        }
        h.append("\"inputs\":[");
        ByteArrayOutputStream binary = new ByteArrayOutputStream();
        boolean anyBinary = false;
        for (int i = 0; i < inputs.size(); i++) {
            Tensor t = inputs.get(i);
            boolean bin = f.binaryIn() != null && f.binaryIn()[i];
            if (i > 0) {
                h.append(',');
            }
            h.append("{\"name\":").append(jsonString(t.name())).append(",\"shape\":").append(shapeJson(t.shape()))
                    .append(",\"datatype\":\"").append(t.datatype()).append('"');
            if (bin) {
                anyBinary = true;
                h.append(",\"parameters\":{\"binary_data_size\":").append(t.raw().length).append('}');
                binary.writeBytes(t.raw());
            } else {
                h.append(",\"data\":").append(dataJson(t, f.nested()));
            }
            h.append('}');
        }
        h.append(']');
        if (f.outputs() != null) {
            h.append(",\"outputs\":[");
            for (int i = 0; i < f.outputs().size(); i++) {
                h.append(i > 0 ? "," : "").append("{\"name\":").append(jsonString(f.outputs().get(i)));
                if (f.outputBinary() != null) {
                    h.append(",\"parameters\":{\"binary_data\":").append(f.outputBinary()).append('}');
                }
                h.append('}');
            }
            h.append(']');
        }
        if (f.binaryDataOutput()) {
            h.append(",\"parameters\":{\"binary_data_output\":true}");
        }
        h.append('}');
        byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
        String path = "/v2/models/" + model + (f.version() == null ? "" : "/versions/" + f.version()) + "/infer";
        if (!anyBinary) {
            return post(path, "application/json", header);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(header);
        body.writeBytes(binary.toByteArray());
        byte[] bytes = body.toByteArray();
        return t -> http(t, "POST", path, "application/octet-stream", Map.of(IHCL, Integer.toString(header.length)), bytes);
    }

    static boolean[] all(int n, boolean v) {
        boolean[] b = new boolean[n];
        Arrays.fill(b, v);
        return b;
    }

    /** The usual V2 REST forms of one request: JSON and binary in, JSON and binary out, the outputs filter, the id. */
    static void v2Forms(String group, String model, List<Tensor> inputs, String output, String what) {
        int n = inputs.size();
        boolean json = inputs.stream().allMatch(t -> t.json() != null);
        boolean raw = inputs.stream().allMatch(t -> t.raw() != null);
        if (json) {
            add("rest-json", group, what + ": JSON in, JSON out, id", v2(model, inputs, new V2Form(null, "ab-" + group, null, null, false, true, null)));
            add("rest-json", group, what + ": JSON in, JSON out, no id, flat data", v2(model, inputs, form()));
            add("rest-json", group, what + ": JSON in, outputs filter, JSON out", v2(model, inputs, new V2Form(null, "f", List.of(output), null, false, false, null)));
            add("rest-json", group, what + ": JSON in, versions/1 path", v2(model, inputs, new V2Form(null, null, null, null, false, false, "1")));
            add("rest-binary", group, what + ": JSON in, binary_data_output", v2(model, inputs, new V2Form(null, "bo", null, null, true, false, null)));
            add("rest-binary", group, what + ": JSON in, outputs[].binary_data true", v2(model, inputs, new V2Form(null, null, List.of(output), true, false, false, null)));
        }
        if (raw) {
            add("rest-binary", group, what + ": binary in, JSON out", v2(model, inputs, new V2Form(all(n, true), "bj", null, null, false, false, null)));
            add("rest-binary", group, what + ": binary in, binary out (binary_data_output)", v2(model, inputs, new V2Form(all(n, true), "bb", null, null, true, false, null)));
            add("rest-binary", group, what + ": binary in, outputs[].binary_data true", v2(model, inputs, new V2Form(all(n, true), null, List.of(output), true, false, false, null)));
            add("rest-binary", group, what + ": binary in, binary_data_output but outputs[].binary_data false", v2(model, inputs,
                    new V2Form(all(n, true), null, List.of(output), false, true, false, null)));
        }
        if (json && raw && n > 1) {
            boolean[] mixed = new boolean[n];
            mixed[0] = true;
            add("rest-binary", group, what + ": first input binary, others JSON, JSON out", v2(model, inputs, new V2Form(mixed, "mix", null, null, false, true, null)));
        }
    }

    // ---------------------------------------------------------------- gRPC requests

    static ModelInferRequest.Builder grpcRequest(String model, List<Tensor> inputs, boolean raw) {
        ModelInferRequest.Builder r = ModelInferRequest.newBuilder().setModelName(model);
        for (Tensor t : inputs) {
            ModelInferRequest.InferInputTensor.Builder in = ModelInferRequest.InferInputTensor.newBuilder()
                    .setName(t.name()).setDatatype(t.datatype());
            Arrays.stream(t.shape()).forEach(in::addShape);
            if (raw) {
                r.addRawInputContents(ByteString.copyFrom(t.raw()));
            } else if (t.typed() != null) {
                in.setContents(t.typed());
            }
            r.addInputs(in);
        }
        return r;
    }

    static ModelInferRequest.InferRequestedOutputTensor out(String name) {
        return ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(name).build();
    }

    static void grpcForms(String group, String model, List<Tensor> inputs, String output, String what) {
        boolean typed = inputs.stream().allMatch(t -> t.typed() != null);
        boolean raw = inputs.stream().allMatch(t -> t.raw() != null);
        if (typed) {
            ModelInferRequest plain = grpcRequest(model, inputs, false).build();
            add("grpc-typed", group, what + ": typed", t -> grpc(t, plain));
            ModelInferRequest withId = grpcRequest(model, inputs, false).setId("g-" + group).addOutputs(out(output)).build();
            add("grpc-typed", group, what + ": typed, id, outputs filter", t -> grpc(t, withId));
            ModelInferRequest version = grpcRequest(model, inputs, false).setModelVersion("1")
                    .putParameters("binary_data_output", InferParameter.newBuilder().setBoolParam(true).build()).build();
            add("grpc-typed", group, what + ": typed, version 1, parameter binary_data_output", t -> grpc(t, version));
        }
        if (raw) {
            ModelInferRequest plain = grpcRequest(model, inputs, true).build();
            add("grpc-raw", group, what + ": raw", t -> grpc(t, plain));
            ModelInferRequest withId = grpcRequest(model, inputs, true).setId("r-" + group).addOutputs(out(output)).build();
            add("grpc-raw", group, what + ": raw, id, outputs filter", t -> grpc(t, withId));
        }
    }

    // ---------------------------------------------------------------- the requests

    static void datatypes() {
        Map<String, List<Tensor>> sets = new LinkedHashMap<>();
        sets.put("BOOL", List.of(bools("X", true, false, true), bools("X", false), bools("X")));
        sets.put("UINT8", List.of(ints("X", "UINT8", 0, 128, 255), ints("X", "UINT8", 7, 1, 254, 127)));
        sets.put("INT8", List.of(ints("X", "INT8", -128, 0, 127), ints("X", "INT8", -1, 1, 100)));
        sets.put("INT16", List.of(ints("X", "INT16", -32768, 1, 32767), ints("X", "INT16", -1, 0, 255, 256)));
        sets.put("INT32", List.of(ints("X", "INT32", Integer.MIN_VALUE, 7, Integer.MAX_VALUE), ints("X", "INT32", -1, 0, 65536)));
        sets.put("INT64", List.of(ints("X", "INT64", -5, 0, 9007199254740993L), ints("X", "INT64", Long.MIN_VALUE, Long.MAX_VALUE, -1, 1L << 53)));
        sets.put("FP16", List.of(fp16("X", new double[]{0.5, -1.25, 2048.0}, new short[]{0x3800, (short) 0xbd00, 0x6800}),
                fp16("X", new double[]{65504, 6.0e-8, 0.1, -0.0, 1e-5, 3.14159, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 70000},
                        null),
                fp16("X", null, new short[]{0x3c00, (short) 0xc000, 0x0001, 0x7bff, 0x7e00, 0x7c01, (short) 0xfc00, (short) 0x8000, 0x03ff, 0x0400})));
        sets.put("FP32", List.of(fp32("X", new float[]{1.5f, -2.25f, 3.0e-3f}),
                fp32("X", new float[]{0.1f, Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -0.0f, Float.NaN, Float.POSITIVE_INFINITY,
                        Float.NEGATIVE_INFINITY, 1e-40f, 16777217f, 1.0e-7f, 123456.79f, (float) Math.PI}),
                fp32Bits("X", 0x7fc00001, 0xff800001, 0x7f800001, 0x00000001, 0x807fffff, 0x3f800000)));
        sets.put("FP64", List.of(fp64("X", 1.0000000001, -1e300, 0.1),
                fp64("X", Double.MIN_VALUE, Double.MIN_NORMAL, Double.MAX_VALUE, -0.0, Double.NaN, Double.POSITIVE_INFINITY,
                        Double.NEGATIVE_INFINITY, 1e-310, 0.30000000000000004, 1.0 / 3, 9007199254740993.0),
                fp64Bits("X", 0x7ff8000000000001L, 0xfff0000000000001L, 0x0000000000000001L, 0x3ff0000000000000L)));
        sets.put("BYTES", List.of(strings("X", "héllo", "", "kiln"),
                strings("X", "a\"b\\c", "tab\tnl\nret\r", "\u0000nul", "\ud83d\ude00", "中文", "\u007f", "\u2028\u2029", "/</script>", "\u0001\u001f"),
                rawStrings("X", new byte[0], "x".repeat(300).getBytes(StandardCharsets.UTF_8))));
        for (var e : sets.entrySet()) {
            String type = e.getKey();
            String model = "ab-" + type.toLowerCase();
            int k = 0;
            for (Tensor t : e.getValue()) {
                String what = model + " set " + (++k) + " " + shapeJson(t.shape());
                v2Forms(type, model, List.of(t), "Y", what);
                grpcForms(type, model, List.of(t), "Y", what);
            }
            // An empty tensor (shape [0]) each way.
            Tensor first = e.getValue().get(0);
            Tensor empty = new Tensor("X", first.datatype(), new long[]{0}, List.of(), new byte[0],
                    first.typed() == null ? null : InferTensorContents.getDefaultInstance());
            add("rest-json", type, model + " empty [0]: JSON in, JSON out", v2(model, List.of(empty), form()));
            add("rest-binary", type, model + " empty [0]: binary in, binary out", v2(model, List.of(empty),
                    new V2Form(new boolean[]{true}, null, null, null, true, false, null)));
            add("grpc-raw", type, model + " empty [0]: raw", t -> grpc(t, grpcRequest(model, List.of(empty), true).build()));
            if (empty.typed() != null) {
                add("grpc-typed", type, model + " empty [0]: typed", t -> grpc(t, grpcRequest(model, List.of(empty), false).build()));
            }
        }
        // BOOL raw bytes other than 0 and 1 (ONNX Runtime keeps the byte; how each answer writes it back).
        Tensor oddBools = rawOnly("X", "BOOL", new byte[]{0, 1, 2, (byte) 0xff}, 4);
        v2Forms("BOOL", "ab-bool", List.of(oddBools), "Y", "ab-bool raw bytes 0,1,2,255");
        grpcForms("BOOL", "ab-bool", List.of(oddBools), "Y", "ab-bool raw bytes 0,1,2,255");
        // FP16 typed: the protocol has no typed form, an error on both.
        ModelInferRequest typedHalf = ModelInferRequest.newBuilder().setModelName("ab-fp16").addInputs(ModelInferRequest.InferInputTensor
                .newBuilder().setName("X").setDatatype("FP16").addShape(1).setContents(InferTensorContents.newBuilder().addFp32Contents(1f))).build();
        add("grpc-typed", "FP16", "ab-fp16 typed fp32_contents (no typed FP16 exists)", t -> grpc(t, typedHalf));

        // Shapes: nested data of a 3-D identity, a 2-D BYTES identity, a doubler, a model with no inputs.
        float[] six = new float[12];
        for (int i = 0; i < six.length; i++) {
            six[i] = i * 0.5f - 2.75f;
        }
        six[3] = Float.NaN;
        six[7] = Float.MIN_VALUE;
        Tensor cube = fp32("X", six, 2, 3, 2);
        v2Forms("FP32", "ab-fp32-3d", List.of(cube), "Y", "ab-fp32-3d [2,3,2]");
        grpcForms("FP32", "ab-fp32-3d", List.of(cube), "Y", "ab-fp32-3d [2,3,2]");
        Tensor grid = strings("X", "a", "bé", "", "中").shaped(2, 2);
        v2Forms("BYTES", "ab-bytes-2d", List.of(grid), "Y", "ab-bytes-2d [2,2]");
        grpcForms("BYTES", "ab-bytes-2d", List.of(grid), "Y", "ab-bytes-2d [2,2]");
        Tensor pairs = fp32("X", new float[]{0.5f, -0.25f, 3e38f, Float.MIN_VALUE, Float.NaN, -0.0f}, 3, 2);
        v2Forms("FP32", "ab-doubler", List.of(pairs), "Y", "ab-doubler [3,2] (overflow, subnormal, NaN)");
        grpcForms("FP32", "ab-doubler", List.of(pairs), "Y", "ab-doubler [3,2] (overflow, subnormal, NaN)");
        Tensor fixed = ints("X", "INT8", -7, 9);
        v2Forms("INT8", "ab-int8-fixed", List.of(fixed), "Y", "ab-int8-fixed [2]");
        grpcForms("INT8", "ab-int8-fixed", List.of(fixed), "Y", "ab-int8-fixed [2]");
        add("rest-json", "FP32", "ab-constant: inputs [], JSON out", postJson("/v2/models/ab-constant/infer", "{\"inputs\":[]}"));
        add("rest-json", "FP32", "ab-constant: inputs [], id, outputs filter", postJson("/v2/models/ab-constant/infer",
                "{\"id\":\"c\",\"inputs\":[],\"outputs\":[{\"name\":\"Y\"}]}"));
        add("rest-binary", "FP32", "ab-constant: inputs [], binary_data_output", postJson("/v2/models/ab-constant/infer",
                "{\"inputs\":[],\"parameters\":{\"binary_data_output\":true}}"));
        add("grpc-raw", "FP32", "ab-constant: no inputs (answer raw)", t -> grpc(t, ModelInferRequest.newBuilder().setModelName("ab-constant").build()));
        add("grpc-raw", "FP32", "ab-constant: no inputs, id, outputs filter", t -> grpc(t, ModelInferRequest.newBuilder()
                .setModelName("ab-constant").setId("c").addOutputs(out("Y")).build()));
        // The same output asked twice.
        add("rest-json", "FP32", "ab-fp32: outputs [Y, Y]", postJson("/v2/models/ab-fp32/infer",
                "{\"inputs\":[{\"name\":\"X\",\"shape\":[2],\"datatype\":\"FP32\",\"data\":[1,2]}],\"outputs\":[{\"name\":\"Y\"},{\"name\":\"Y\"}]}"));
        Tensor two = fp32("X", new float[]{1, 2});
        add("grpc-typed", "FP32", "ab-fp32: typed, outputs [Y, Y]", t -> grpc(t, grpcRequest("ab-fp32", List.of(two), false)
                .addOutputs(out("Y")).addOutputs(out("Y")).build()));
        add("grpc-raw", "FP32", "ab-fp32: raw, outputs [Y, Y]", t -> grpc(t, grpcRequest("ab-fp32", List.of(two), true)
                .addOutputs(out("Y")).addOutputs(out("Y")).build()));
        // JSON number forms for each integer and float type: exponents, -0, integers written as floats.
        add("rest-json", "FP32", "ab-fp32: JSON numbers 1e2, -0, 1E-45, 0.1e1, 340282356779733661637539395458142568448",
                postJson("/v2/models/ab-fp32/infer", "{\"inputs\":[{\"name\":\"X\",\"shape\":[5],\"datatype\":\"FP32\","
                        + "\"data\":[1e2,-0,1E-45,0.1e1,340282356779733661637539395458142568448]}]}"));
        add("rest-json", "FP64", "ab-fp64: JSON numbers 4.9e-324, 2.4703282292062328e-324, 1.7976931348623158e308, 123456789012345678901234567890",
                postJson("/v2/models/ab-fp64/infer", "{\"inputs\":[{\"name\":\"X\",\"shape\":[4],\"datatype\":\"FP64\","
                        + "\"data\":[4.9e-324,2.4703282292062328e-324,1.7976931348623158e308,123456789012345678901234567890]}]}"));
        add("rest-json", "INT64", "ab-int64: JSON 9223372036854775807, -9223372036854775808",
                postJson("/v2/models/ab-int64/infer", "{\"inputs\":[{\"name\":\"X\",\"shape\":[2],\"datatype\":\"INT64\","
                        + "\"data\":[9223372036854775807,-9223372036854775808]}]}"));
    }

    static final String MINI_Q = "all-minilm-l6-v2-q", MINI = "all-minilm-l6-v2";

    static List<Tensor> miniLm(long[] ids, long[] mask, int rows) {
        long[] types = new long[ids.length];
        long[] shape = {rows, ids.length / rows};
        return List.of(ints("input_ids", "INT64", ids).shaped(shape), ints("attention_mask", "INT64", mask).shaped(shape),
                ints("token_type_ids", "INT64", types).shaped(shape));
    }

    static long[] ones(int n) {
        long[] v = new long[n];
        Arrays.fill(v, 1);
        return v;
    }

    static void demoModels() {
        Random random = new Random(20);
        long[] t128 = new long[128];
        t128[0] = 101;
        for (int i = 1; i < 127; i++) {
            t128[i] = 1000 + random.nextInt(28000);
        }
        t128[127] = 102;
        Map<String, List<Tensor>> seqs = new LinkedHashMap<>();
        seqs.put("[CLS][SEP]", miniLm(new long[]{101, 102}, ones(2), 1));
        seqs.put("hello world", miniLm(new long[]{101, 7592, 2088, 102}, ones(4), 1));
        long[] t16 = {101, 1996, 4248, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 1012, 2023, 2003, 1037, 3231, 102};
        seqs.put("16 tokens", miniLm(t16, ones(16), 1));
        seqs.put("128 tokens", miniLm(t128, ones(128), 1));
        seqs.put("2 rows, one padded", miniLm(new long[]{101, 7592, 2088, 102, 0, 101, 2023, 2003, 1037, 102},
                new long[]{1, 1, 1, 1, 0, 1, 1, 1, 1, 1}, 2));
        for (String model : List.of(MINI_Q, MINI)) {
            for (var s : seqs.entrySet()) {
                v2Forms(model, model, s.getValue(), "last_hidden_state", model + " " + s.getKey());
                grpcForms(model, model, s.getValue(), "last_hidden_state", model + " " + s.getKey());
            }
        }
        Map<String, Tensor> cls = new LinkedHashMap<>();
        cls.put("random [1,3,48,192]", fp32("x", randomFloats(random, 3 * 48 * 192), 1, 3, 48, 192));
        cls.put("zeros [1,3,48,192]", fp32("x", new float[3 * 48 * 192], 1, 3, 48, 192));
        float[] special = randomFloats(random, 3 * 48 * 192);
        special[100] = Float.NaN;
        special[5000] = Float.POSITIVE_INFINITY;
        special[9000] = Float.NEGATIVE_INFINITY;
        special[12000] = 1e-40f;
        special[12001] = -0.0f;
        special[12002] = Float.MIN_VALUE;
        cls.put("NaN, Infinity, subnormals [1,3,48,192]", fp32("x", special, 1, 3, 48, 192));
        float[] tiny = new float[3 * 48 * 192];
        for (int i = 0; i < tiny.length; i++) {
            tiny[i] = Float.intBitsToFloat(1 + random.nextInt(0x007fffff)) * (random.nextBoolean() ? 1 : -1);
        }
        cls.put("all subnormal [1,3,48,192]", fp32("x", tiny, 1, 3, 48, 192));
        cls.put("random [2,3,48,192]", fp32("x", randomFloats(random, 2 * 3 * 48 * 192), 2, 3, 48, 192));
        for (var c : cls.entrySet()) {
            v2Forms("ppocr-cls", "ppocr-cls", List.of(c.getValue()), "softmax_0.tmp_0", "ppocr-cls " + c.getKey());
            grpcForms("ppocr-cls", "ppocr-cls", List.of(c.getValue()), "softmax_0.tmp_0", "ppocr-cls " + c.getKey());
        }
        Map<String, Tensor> det = new LinkedHashMap<>();
        det.put("random [1,3,32,32]", fp32("x", randomFloats(random, 3 * 32 * 32), 1, 3, 32, 32));
        det.put("random [1,3,64,96]", fp32("x", randomFloats(random, 3 * 64 * 96), 1, 3, 64, 96));
        float[] detSpecial = randomFloats(random, 3 * 32 * 32);
        detSpecial[10] = Float.NaN;
        detSpecial[500] = Float.POSITIVE_INFINITY;
        detSpecial[700] = 1e-42f;
        det.put("NaN, Infinity, subnormal [1,3,32,32]", fp32("x", detSpecial, 1, 3, 32, 32));
        for (var d : det.entrySet()) {
            v2Forms("ppocr-v4-det", "ppocr-v4-det", List.of(d.getValue()), "sigmoid_0.tmp_0", "ppocr-v4-det " + d.getKey());
            grpcForms("ppocr-v4-det", "ppocr-v4-det", List.of(d.getValue()), "sigmoid_0.tmp_0", "ppocr-v4-det " + d.getKey());
        }
    }

    static float[] randomFloats(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextFloat() * 2 - 1;
        }
        return v;
    }

    // ---------------------------------------------------------------- embeddings

    static String words(Random r, int n) {
        String[] vocab = {"the", "model", "server", "keeps", "hot", "kiln", "tensor", "embedding", "quick", "brown", "fox", "jumps",
                "over", "lazy", "dog", "résumé", "naïve", "café", "中文", "日本語", "emoji😀", "hyphen-ated", "don't", "U.S.A.", "3.14159",
                "unbelievable", "antidisestablishmentarianism", "Straße", "Ünïcödé", "(parens)", "\"quoted\"", "$100", "e-mail@example.com"};
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(i > 0 ? " " : "").append(vocab[r.nextInt(vocab.length)]);
        }
        return b.toString();
    }

    static List<String> longTexts() {
        Random r = new Random(128);
        List<String> texts = new ArrayList<>();
        texts.add(words(r, 300));                                            // over 128 tokens, under the cut length
        texts.add(words(r, 2000));                                           // cut before tokenizing
        texts.add(("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ").repeat(200));
        texts.add("中文句子很长".repeat(400));                                  // no whitespace at all, 2,400 characters
        texts.add("a".repeat(5000));                                         // one word
        texts.add("word    \t\n ".repeat(600));                              // runs of whitespace
        texts.add(("\u200b ").repeat(300) + words(r, 400));                  // words that normalise to nothing first
        texts.add(("e\u0301 ").repeat(300) + words(r, 300));                 // accents stripped
        texts.add(words(r, 100) + " " + ("\u200b ").repeat(63) + join('\f', 110) + " " + words(r, 300));
        texts.add(words(r, 100) + " " + ("\u200b ").repeat(63) + join('\u000b', 110) + " " + words(r, 300));
        texts.add(words(r, 60) + " " + join('\u001c', 90) + " " + join('\u001f', 90) + " " + join('\f', 90) + " " + words(r, 300));
        texts.add(("x\f").repeat(2000));                                      // form feeds join into one word
        texts.add(words(r, 257) + " " + "y".repeat(2000));                    // the cut at the 258th word boundary
        texts.add("Hello, world! ".repeat(150));
        texts.add("a\u00a0b ".repeat(800));                                   // no-break space: whitespace to BERT, not to Java
        return texts;
    }

    /** 110 letters joined by a character Java calls whitespace and BERT's normaliser removes: one word to the tokenizer. */
    static String join(char joiner, int n) {
        StringBuilder b = new StringBuilder();
        String letters = "qzxjkvwy";
        for (int i = 0; i < n; i++) {
            b.append(i > 0 ? String.valueOf(joiner) : "").append(letters.charAt(i % letters.length()));
        }
        return b.toString();
    }

    static void embeddings() {
        List<String> longs = longTexts();
        for (String model : List.of(MINI_Q, MINI)) {
            for (String format : List.of("float", "base64")) {
                String tr = "emb-" + format;
                String fmt = ",\"encoding_format\":\"" + format + "\"";
                Function<String, Req> embed = input -> postJson("/v1/embeddings", "{\"model\":\"" + model + "\",\"input\":" + input + fmt + "}");
                add(tr, model, model + " " + format + " \"hello world\"", embed.apply("\"hello world\""));
                add(tr, model, model + " " + format + " 6 strings (accents, CJK, spaces, emoji, empty)", embed.apply(
                        "[\"Kiln keeps models hot.\",\"Les modèles restent chauds.\",\"中文句子也可以\",\"   \",\"Emoji 😀 test\",\"\"]"));
                add(tr, model, model + " " + format + " token ids [101,7592,2088,102]", embed.apply("[101,7592,2088,102]"));
                add(tr, model, model + " " + format + " token id arrays", embed.apply("[[7592,2088],[2023,2003,1037,3231],[2088]]"));
                long[] many = new long[300];
                Arrays.fill(many, 2088);
                add(tr, model, model + " " + format + " 300 token ids (cut at 128)", embed.apply(Arrays.toString(many).replace(" ", "")));
                add(tr, model, model + " " + format + " dimensions 384, user", postJson("/v1/embeddings",
                        "{\"model\":\"" + model + "\",\"input\":\"dims\",\"dimensions\":384,\"user\":\"u\"" + fmt + "}"));
                for (int i = 0; i < longs.size(); i++) {
                    String s = longs.get(i);
                    add(tr, model, model + " " + format + " long text " + i + " (" + s.length() + " chars: "
                            + s.substring(0, Math.min(30, s.length())).replaceAll("\\p{Cntrl}|\\u200b", "·") + "...)", embed.apply(jsonString(s)));
                }
                String all = longs.stream().map(AnswersAB::jsonString).collect(Collectors.joining(","));
                add(tr, model, model + " " + format + " all " + longs.size() + " long texts plus 3 short in one request",
                        embed.apply("[\"short\"," + all + ",\"tiny\",\"a b c\"]"));
            }
        }
        add("emb-float", MINI_Q, MINI_Q + " float, encoding_format absent", postJson("/v1/embeddings",
                "{\"model\":\"" + MINI_Q + "\",\"input\":\"no format\"}"));
    }

    // ---------------------------------------------------------------- bad requests

    static void errors() {
        String e = "errors";
        String x3 = "{\"name\":\"X\",\"shape\":[3],\"datatype\":\"FP32\",\"data\":[1,2,3]}";
        add("rest-json", e, "unknown model", postJson("/v2/models/no-such-model/infer", "{\"inputs\":[" + x3 + "]}"));
        add("rest-json", e, "version 7", postJson("/v2/models/ab-fp32/versions/7/infer", "{\"inputs\":[" + x3 + "]}"));
        add("rest-json", e, "unknown input name", postJson("/v2/models/ab-fp32/infer", "{\"inputs\":[" + x3.replace("\"X\"", "\"Z\"") + "]}"));
        add("rest-json", e, "datatype FP64 to an FP32 input", postJson("/v2/models/ab-fp32/infer", "{\"inputs\":[" + x3.replace("FP32", "FP64") + "]}"));
        add("rest-json", e, "shape [4] with 3 values", postJson("/v2/models/ab-fp32/infer", "{\"inputs\":[" + x3.replace("[3]", "[4]") + "]}"));
        add("rest-json", e, "INT8 value 300", postJson("/v2/models/ab-int8/infer",
                "{\"inputs\":[{\"name\":\"X\",\"shape\":[1],\"datatype\":\"INT8\",\"data\":[300]}]}"));
        add("rest-json", e, "UINT8 value -1", postJson("/v2/models/ab-uint8/infer",
                "{\"inputs\":[{\"name\":\"X\",\"shape\":[1],\"datatype\":\"UINT8\",\"data\":[-1]}]}"));
        add("rest-json", e, "INT32 value 1.5", postJson("/v2/models/ab-int32/infer",
                "{\"inputs\":[{\"name\":\"X\",\"shape\":[1],\"datatype\":\"INT32\",\"data\":[1.5]}]}"));
        add("rest-json", e, "BOOL value 1", postJson("/v2/models/ab-bool/infer",
                "{\"inputs\":[{\"name\":\"X\",\"shape\":[1],\"datatype\":\"BOOL\",\"data\":[1]}]}"));
        add("rest-json", e, "FP32 value \"abc\"", postJson("/v2/models/ab-fp32/infer",
                "{\"inputs\":[{\"name\":\"X\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[\"abc\"]}]}"));
        add("rest-json", e, "BYTES value 5 (a number)", postJson("/v2/models/ab-bytes/infer",
                "{\"inputs\":[{\"name\":\"X\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[5]}]}"));
        add("rest-json", e, "BYTES lone surrogate", postJson("/v2/models/ab-bytes/infer",
                "{\"inputs\":[{\"name\":\"X\",\"shape\":[2],\"datatype\":\"BYTES\",\"data\":[\"fine\",\"a\\ud800b\"]}]}"));
        add("rest-json", e, "malformed JSON", postJson("/v2/models/ab-fp32/infer", "{\"inputs\":[{\"name\":"));
        add("rest-json", e, "empty body", postJson("/v2/models/ab-fp32/infer", ""));
        add("rest-json", e, "unknown output", postJson("/v2/models/ab-fp32/infer", "{\"inputs\":[" + x3 + "],\"outputs\":[{\"name\":\"nope\"}]}"));
        add("rest-json", e, "duplicate input", postJson("/v2/models/ab-fp32/infer", "{\"inputs\":[" + x3 + "," + x3 + "]}"));
        add("rest-json", e, "fixed dimension [2] given [3]", postJson("/v2/models/ab-int8-fixed/infer",
                "{\"inputs\":[{\"name\":\"X\",\"shape\":[3],\"datatype\":\"INT8\",\"data\":[1,2,3]}]}"));
        add("rest-json", e, "rank 2 to a rank-1 input", postJson("/v2/models/ab-fp32/infer",
                "{\"inputs\":[{\"name\":\"X\",\"shape\":[1,3],\"datatype\":\"FP32\",\"data\":[[1,2,3]]}]}"));
        add("rest-json", e, "nested data that does not fit the shape", postJson("/v2/models/ab-fp32-3d/infer",
                "{\"inputs\":[{\"name\":\"X\",\"shape\":[1,3,2],\"datatype\":\"FP32\",\"data\":[[[1,2],[3,4,5]]]}]}"));
        add("rest-json", e, "MiniLM without attention_mask", postJson("/v2/models/" + MINI_Q + "/infer",
                "{\"inputs\":[{\"name\":\"input_ids\",\"shape\":[1,2],\"datatype\":\"INT64\",\"data\":[101,102]}]}"));
        add("rest-json", e, "MiniLM token id out of vocabulary", v2(MINI_Q, miniLm(new long[]{101, 99_999_999, 102}, ones(3), 1), form()));
        add("rest-json", e, "MiniLM 600 tokens (input_limits)", v2(MINI_Q, miniLm(new long[600], ones(600), 1), form()));
        add("rest-json", e, "ppocr-cls 2 channels", postJson("/v2/models/ppocr-cls/infer",
                "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,2,1,1],\"datatype\":\"FP32\",\"data\":[0,0]}]}"));
        add("rest-json", e, "ab-constant with an input", postJson("/v2/models/ab-constant/infer", "{\"inputs\":[" + x3 + "]}"));
        add("rest-json", e, "Content-Type text/plain", post("/v2/models/ab-fp32/infer", "text/plain",
                ("{\"inputs\":[" + x3 + "]}").getBytes(StandardCharsets.UTF_8)));
        add("rest-json", e, "GET on infer", t -> http(t, "GET", "/v2/models/ab-fp32/infer", null, Map.of(), null));
        add("rest-json", e, "inputs not a list", postJson("/v2/models/ab-fp32/infer", "{\"inputs\":{}}"));
        add("rest-json", e, "unknown top-level field", postJson("/v2/models/ab-fp32/infer", "{\"inputs\":[" + x3 + "],\"extra\":1}"));
        add("rest-json", e, "datatype FLOAT (not V2)", postJson("/v2/models/ab-fp32/infer", "{\"inputs\":[" + x3.replace("FP32", "FLOAT") + "]}"));

        byte[] ok = "{\"inputs\":[{\"name\":\"X\",\"shape\":[1],\"datatype\":\"FP16\",\"parameters\":{\"binary_data_size\":2}}]}"
                .getBytes(StandardCharsets.UTF_8);
        add("rest-binary", e, "binary_data_size 6 for shape [4] FP16", binary("ab-fp16",
                "{\"inputs\":[{\"name\":\"X\",\"shape\":[4],\"datatype\":\"FP16\",\"parameters\":{\"binary_data_size\":6}}]}"
                        .getBytes(StandardCharsets.UTF_8), new byte[6], null));
        add("rest-binary", e, "2 bytes after the binary data", binary("ab-fp16", ok, new byte[4], null));
        add("rest-binary", e, "binary data past the end of the body", binary("ab-fp16", ok, new byte[1], null));
        add("rest-binary", e, "Inference-Header-Content-Length 99999", binary("ab-fp16", ok, new byte[0], "99999"));
        add("rest-binary", e, "Inference-Header-Content-Length ten", binary("ab-fp16", ok, new byte[0], "ten"));
        add("rest-binary", e, "Inference-Header-Content-Length -1", binary("ab-fp16", ok, new byte[2], "-1"));
        ByteBuffer badUtf8 = le(4 + 2 + 4 + 4);
        badUtf8.putInt(2).put("hi".getBytes(StandardCharsets.US_ASCII)).putInt(4).put(new byte[]{'o', 'k', (byte) 0xff, 'x'});
        add("rest-binary", e, "BYTES element not UTF-8 (0xff)", binary("ab-bytes",
                ("{\"inputs\":[{\"name\":\"X\",\"shape\":[2],\"datatype\":\"BYTES\",\"parameters\":{\"binary_data_size\":14}}],"
                        + "\"parameters\":{\"binary_data_output\":true}}").getBytes(StandardCharsets.UTF_8), badUtf8.array(), null));
        add("rest-binary", e, "BYTES element length past the data", binary("ab-bytes",
                "{\"inputs\":[{\"name\":\"X\",\"shape\":[1],\"datatype\":\"BYTES\",\"parameters\":{\"binary_data_size\":6}}]}"
                        .getBytes(StandardCharsets.UTF_8), le(6).putInt(9).put((byte) 'a').put((byte) 'b').array(), null));

        // gRPC
        Tensor f3 = fp32("X", new float[]{1, 2, 3});
        add("grpc-typed", e, "unknown model", t -> grpc(t, grpcRequest("no-such-model", List.of(f3), false).build()));
        add("grpc-typed", e, "version 7", t -> grpc(t, grpcRequest("ab-fp32", List.of(f3), false).setModelVersion("7").build()));
        add("grpc-typed", e, "shape [4] with 3 typed values", t -> grpc(t, grpcRequest("ab-fp32", List.of(f3.shaped(4)), false).build()));
        add("grpc-raw", e, "shape [4] with 12 raw bytes", t -> grpc(t, grpcRequest("ab-fp32", List.of(f3.shaped(4)), true).build()));
        add("grpc-typed", e, "unknown input name", t -> grpc(t, grpcRequest("ab-fp32", List.of(f3.named("Z")), false).build()));
        add("grpc-typed", e, "unknown output", t -> grpc(t, grpcRequest("ab-fp32", List.of(f3), false).addOutputs(out("nope")).build()));
        add("grpc-typed", e, "no inputs to an identity", t -> grpc(t, ModelInferRequest.newBuilder().setModelName("ab-fp32").build()));
        add("grpc-typed", e, "FP32 tensor with fp64_contents", t -> grpc(t, grpcRequest("ab-fp32",
                List.of(new Tensor("X", "FP32", new long[]{1}, null, null, InferTensorContents.newBuilder().addFp64Contents(1).build())), false).build()));
        add("grpc-typed", e, "datatype FP64 to an FP32 input", t -> grpc(t, grpcRequest("ab-fp32", List.of(fp64("X", 1, 2)), false).build()));
        add("grpc-raw", e, "raw_input_contents count differs from inputs", t -> grpc(t, grpcRequest("ab-fp32", List.of(f3), true)
                .addRawInputContents(ByteString.copyFrom(new byte[4])).build()));
        add("grpc-raw", e, "raw and typed mixed", t -> grpc(t, grpcRequest("ab-fp32", List.of(f3), true)
                .setInputs(0, grpcRequest("ab-fp32", List.of(f3), false).getInputs(0)).build()));
        add("grpc-typed", e, "MiniLM token id out of vocabulary", t -> grpc(t, grpcRequest(MINI_Q, miniLm(new long[]{101, 99_999_999, 102}, ones(3), 1), false).build()));
        add("grpc-raw", e, "MiniLM 600 tokens (input_limits)", t -> grpc(t, grpcRequest(MINI_Q, miniLm(new long[600], ones(600), 1), true).build()));
        add("grpc-typed", e, "typed INT8 value 300", t -> grpc(t, grpcRequest("ab-int8", List.of(ints("X", "INT8", 300, -129)), false).build()));
        add("grpc-typed", e, "typed UINT8 value 256", t -> grpc(t, grpcRequest("ab-uint8", List.of(ints("X", "UINT8", 256, 1)), false).build()));
        add("grpc-typed", e, "typed INT16 value 40000", t -> grpc(t, grpcRequest("ab-int16", List.of(ints("X", "INT16", 40000)), false).build()));
        byte[] bad = {'a', (byte) 0xc3, '('};
        add("grpc-typed", e, "typed BYTES not UTF-8", t -> grpc(t, grpcRequest("ab-bytes", List.of(rawStrings("X", "ok".getBytes(), bad)), false).build()));
        add("grpc-raw", e, "raw BYTES not UTF-8", t -> grpc(t, grpcRequest("ab-bytes", List.of(rawStrings("X", "ok".getBytes(), bad)), true).build()));
        add("grpc-raw", e, "raw BYTES element length past the data", t -> grpc(t, grpcRequest("ab-bytes",
                List.of(rawOnly("X", "BYTES", le(6).putInt(9).put((byte) 'a').put((byte) 'b').array(), 1)), true).build()));
        add("grpc-typed", e, "datatype UINT16 to an INT16 input", t -> grpc(t, grpcRequest("ab-int16",
                List.of(new Tensor("X", "UINT16", new long[]{1}, null, null, InferTensorContents.newBuilder().addUintContents(1).build())), false).build()));

        // /v1/embeddings
        Function<String, Req> embed = body -> postJson("/v1/embeddings", body);
        add("emb-float", e, "unknown model", embed.apply("{\"model\":\"nope\",\"input\":\"x\"}"));
        add("emb-float", e, "model that does not embed (ppocr-cls)", embed.apply("{\"model\":\"ppocr-cls\",\"input\":\"x\"}"));
        add("emb-float", e, "dimensions 100", embed.apply("{\"model\":\"" + MINI_Q + "\",\"input\":\"x\",\"dimensions\":100}"));
        add("emb-float", e, "input []", embed.apply("{\"model\":\"" + MINI_Q + "\",\"input\":[]}"));
        add("emb-float", e, "input 5", embed.apply("{\"model\":\"" + MINI_Q + "\",\"input\":5}"));
        add("emb-float", e, "input [[]]", embed.apply("{\"model\":\"" + MINI_Q + "\",\"input\":[[]]}"));
        add("emb-float", e, "input [\"a\", 5]", embed.apply("{\"model\":\"" + MINI_Q + "\",\"input\":[\"a\",5]}"));
        add("emb-float", e, "no model", embed.apply("{\"input\":\"x\"}"));
        add("emb-float", e, "no input", embed.apply("{\"model\":\"" + MINI_Q + "\"}"));
        add("emb-float", e, "encoding_format hex", embed.apply("{\"model\":\"" + MINI_Q + "\",\"input\":\"x\",\"encoding_format\":\"hex\"}"));
        add("emb-float", e, "token id 99999999", embed.apply("{\"model\":\"" + MINI_Q + "\",\"input\":[101,99999999,102]}"));
        add("emb-float", e, "token id -1", embed.apply("{\"model\":\"" + MINI_Q + "\",\"input\":[-1]}"));
        add("emb-float", e, "malformed JSON", embed.apply("{\"model\":"));
        add("emb-float", e, "empty body", embed.apply(""));
        add("emb-float", e, "Content-Type text/plain", post("/v1/embeddings", "text/plain",
                ("{\"model\":\"" + MINI_Q + "\",\"input\":\"x\"}").getBytes(StandardCharsets.UTF_8)));
        add("emb-float", e, "GET /v1/embeddings", t -> http(t, "GET", "/v1/embeddings", null, Map.of(), null));
        add("emb-float", e, "lone surrogate in a text", embed.apply("{\"model\":\"" + MINI_Q + "\",\"input\":\"a\\ud800b\"}"));
    }

    static Req binary(String model, byte[] header, byte[] data, String headerLength) {
        byte[] body = new byte[header.length + data.length];
        System.arraycopy(header, 0, body, 0, header.length);
        System.arraycopy(data, 0, body, header.length, data.length);
        String length = headerLength != null ? headerLength : Integer.toString(header.length);
        return t -> http(t, "POST", "/v2/models/" + model + "/infer", "application/octet-stream", Map.of(IHCL, length), body);
    }

    // ---------------------------------------------------------------- comparison and report

    record Outcome(Case c, Answer old, Answer fresh, boolean same, String consistency) {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: AnswersAB OLD_HTTP OLD_GRPC NEW_HTTP NEW_GRPC OUT_DIR");
            System.exit(2);
        }
        Target old = new Target("OLD", args[0], channel(args[1]));
        Target fresh = new Target("NEW", args[2], channel(args[3]));
        Path out = Path.of(args[4]);
        Files.createDirectories(out.resolve("diffs"));
        datatypes();
        demoModels();
        embeddings();
        errors();
        List<Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < CASES.size(); i++) {
            Case c = CASES.get(i);
            Answer a = c.req().send(old);
            Answer b = c.req().send(fresh);
            boolean same = a.same(b);
            String consistency = "";
            if (!same) {
                // Asked again, each server alone: is each one consistent with itself (determinism), or did a run differ?
                Answer a2 = c.req().send(old);
                Answer b2 = c.req().send(fresh);
                consistency = "asked again: OLD " + (a.same(a2) ? "same" : "DIFFERENT") + ", NEW " + (b.same(b2) ? "same" : "DIFFERENT");
                Files.write(out.resolve("diffs/" + (i + 1) + ".old"), a.body());
                Files.write(out.resolve("diffs/" + (i + 1) + ".new"), b.body());
            }
            outcomes.add(new Outcome(c, a, b, same, consistency));
            if ((i + 1) % 100 == 0) {
                System.err.println((i + 1) + "/" + CASES.size() + " requests compared");
            }
        }
        String report = report(outcomes);
        Files.writeString(out.resolve("report.md"), report);
        System.out.println(report);
        old.grpc().shutdownNow();
        fresh.grpc().shutdownNow();
        // A request one side answered and the other refused is listed for a reader to judge (the hardening
        // refuses on purpose what the old code let through); answers both gave must be the same bytes.
        boolean bug = outcomes.stream().anyMatch(o -> !o.same() && o.old().ok() && o.fresh().ok());
        System.exit(bug ? 1 : 0);
    }

    static ManagedChannel channel(String hostPort) {
        String[] hp = hostPort.split(":");
        return ManagedChannelBuilder.forAddress(hp[0], Integer.parseInt(hp[1])).usePlaintext().maxInboundMessageSize(256 << 20).build();
    }

    static String report(List<Outcome> outcomes) {
        StringBuilder r = new StringBuilder("# OLD vs NEW answers, byte for byte\n\n");
        List<String> transports = List.of("rest-json", "rest-binary", "grpc-typed", "grpc-raw", "emb-float", "emb-base64");
        r.append("Compared: status, Content-Type, Inference-Header-Content-Length and the body bytes (HTTP); status code,\n"
                + "description and the response's wire bytes (gRPC). Nothing is ignored. A request whose OLD or NEW answer\n"
                + "is a success counts under its group; requests both refused are under `errors`.\n\n");
        r.append("| group | ").append(String.join(" | ", transports)).append(" | total |\n|---|");
        r.append("---|".repeat(transports.size() + 1)).append('\n');
        TreeSet<String> groups = new TreeSet<>(outcomes.stream().map(o -> o.c().group()).toList());
        int allSame = 0;
        for (String g : groups) {
            r.append("| ").append(g).append(" |");
            int n = 0, s = 0;
            for (String t : transports) {
                List<Outcome> cell = outcomes.stream().filter(o -> o.c().group().equals(g) && o.c().transport().equals(t)).toList();
                long same = cell.stream().filter(Outcome::same).count();
                n += cell.size();
                s += same;
                r.append(' ').append(cell.isEmpty() ? "" : same + "/" + cell.size()).append(" |");
            }
            r.append(' ').append(s).append('/').append(n).append(" |\n");
            allSame += s;
        }
        r.append("\n").append(allSame).append(" of ").append(outcomes.size()).append(" answers byte-identical.\n");
        long okBoth = outcomes.stream().filter(o -> o.old().ok() && o.fresh().ok()).count();
        long okSame = outcomes.stream().filter(o -> o.old().ok() && o.fresh().ok() && o.same()).count();
        r.append("Successful on both: ").append(okSame).append(" of ").append(okBoth).append(" byte-identical.\n");
        List<Outcome> statusChanged = outcomes.stream().filter(o -> o.old().ok() != o.fresh().ok()).toList();
        r.append("Success on one side only: ").append(statusChanged.size()).append(".\n");
        List<Outcome> errorsBoth = outcomes.stream().filter(o -> !o.old().ok() && !o.fresh().ok()).toList();
        r.append("Refused on both: ").append(errorsBoth.size()).append(", of which ")
                .append(errorsBoth.stream().filter(o -> o.old().status().equals(o.fresh().status())).count()).append(" with the same status and ")
                .append(errorsBoth.stream().filter(Outcome::same).count()).append(" byte-identical.\n\n");

        r.append("## Differences in successful answers\n\n");
        outcomes.stream().filter(o -> !o.same() && o.old().ok() && o.fresh().ok()).forEach(o -> r.append(describe(o, outcomes)));
        r.append("## Success on one side only\n\n");
        statusChanged.forEach(o -> r.append(describe(o, outcomes)));
        r.append("## Differences in refusals (status or message)\n\n");
        errorsBoth.stream().filter(o -> !o.same()).forEach(o -> r.append(describe(o, outcomes)));
        r.append("## Refusals, identical on both\n\n");
        errorsBoth.stream().filter(Outcome::same).forEach(o -> r.append("- [").append(o.c().transport()).append("] ").append(o.c().label())
                .append(": ").append(o.old().status()).append(' ').append(text(o.old().body(), 200)).append('\n'));
        r.append("\n## Other headers and trailers that differ (not compared above)\n\n");
        Map<String, Long> headerDiffs = outcomes.stream().filter(o -> !o.old().extra().equals(o.fresh().extra()))
                .collect(Collectors.groupingBy(o -> "OLD " + o.old().extra() + " / NEW " + o.fresh().extra(), TreeMap::new, Collectors.counting()));
        headerDiffs.forEach((k, v) -> r.append("- ").append(v).append(" answer(s): ").append(k).append('\n'));
        if (headerDiffs.isEmpty()) {
            r.append("none\n");
        }
        return r.toString();
    }

    static String describe(Outcome o, List<Outcome> all) {
        int n = all.indexOf(o) + 1;
        StringBuilder b = new StringBuilder("### #" + n + " [" + o.c().transport() + "] " + o.c().label() + "\n\n");
        b.append("- OLD: ").append(o.old().status()).append(' ').append(o.old().meta()).append(", ").append(o.old().body().length).append(" bytes\n");
        b.append("- NEW: ").append(o.fresh().status()).append(' ').append(o.fresh().meta()).append(", ").append(o.fresh().body().length).append(" bytes\n");
        if (!o.consistency().isEmpty()) {
            b.append("- ").append(o.consistency()).append('\n');
        }
        byte[] x = o.old().body(), y = o.fresh().body();
        int at = Arrays.mismatch(x, y);
        if (at >= 0) {
            b.append("- first differing byte: offset ").append(at).append('\n');
            b.append("- OLD body: ").append(excerpt(o.old(), at)).append('\n');
            b.append("- NEW body: ").append(excerpt(o.fresh(), at)).append('\n');
            if (o.c().transport().startsWith("grpc") && o.old().status().equals("OK") && o.fresh().status().equals("OK")) {
                b.append("- OLD decoded: `").append(decoded(x)).append("`\n");
                b.append("- NEW decoded: `").append(decoded(y)).append("`\n");
            }
        }
        if (!o.old().extra().equals(o.fresh().extra())) {
            b.append("- other headers/trailers: OLD ").append(o.old().extra()).append(" / NEW ").append(o.fresh().extra()).append('\n');
        }
        b.append("- bodies saved as diffs/").append(n).append(".old and .new\n\n");
        return b.toString();
    }

    static String excerpt(Answer a, int at) {
        byte[] body = a.body();
        boolean grpcOk = a.status().equals("OK");
        boolean binary = grpcOk || (a.meta().startsWith("content-type") && !a.meta().contains(IHCL + "=-"));
        if (!binary) {
            int from = Math.max(0, at - 80), to = Math.min(body.length, at + 80);
            return "`" + text(body, 400) + "`" + (body.length > 400 ? " (around the difference: `"
                    + new String(body, from, to - from, StandardCharsets.UTF_8) + "`)" : "");
        }
        int from = Math.max(0, at - 16), to = Math.min(body.length, at + 32);
        return "hex [" + from + ".." + to + ") `" + HexFormat.of().formatHex(body, from, to) + "`" + (grpcOk ? ""
                : ", header `" + text(Arrays.copyOf(body, Math.min(body.length, headerLength(a))), 300) + "`");
    }

    static int headerLength(Answer a) {
        String m = a.meta();
        int i = m.indexOf(IHCL + "=");
        try {
            return Integer.parseInt(m.substring(i + IHCL.length() + 1).trim());
        } catch (RuntimeException e) {
            return 0;
        }
    }

    static String text(byte[] body, int max) {
        String s = new String(body, StandardCharsets.UTF_8);
        return s.length() > max ? s.substring(0, max) + "..." : s;
    }

    static String decoded(byte[] bytes) {
        try {
            String s = TextFormat.printer().shortDebugString(ModelInferResponse.parseFrom(bytes));
            return s.length() > 600 ? s.substring(0, 600) + "..." : s;
        } catch (InvalidProtocolBufferException e) {
            return "not a ModelInferResponse: " + e.getMessage();
        }
    }
}
