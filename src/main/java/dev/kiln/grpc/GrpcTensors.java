package dev.kiln.grpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.kiln.errors.KilnError;
import dev.kiln.inference.BinaryInferRequest;
import dev.kiln.inference.V2Answer;
import inference.InferParameter;
import inference.InferTensorContents;
import inference.ModelInferRequest;
import inference.ModelInferResponse;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;

/**
 * gRPC ModelInfer messages to and from the V2 binary tensor form the inference path reads and
 * writes, so both transports share one path. Raw contents are that form already; typed contents
 * are laid out as it (little-endian, row-major, BYTES as a 4-byte length then the bytes). An answer
 * comes back in the form the request used: raw when the inputs were raw, typed when they were typed.
 */
final class GrpcTensors {

    private GrpcTensors() {
    }

    /** The request as V2 binary, and whether the answer goes back raw. */
    record Encoded(BinaryInferRequest.Encoded request, boolean rawAnswer) {
    }

    static Encoded encode(ModelInferRequest r) {
        boolean raw = r.getRawInputContentsCount() > 0;
        if (raw && r.getRawInputContentsCount() != r.getInputsCount()) {
            throw KilnError.invalid("raw_input_contents has " + r.getRawInputContentsCount() + " entries for "
                    + r.getInputsCount() + " inputs: send one per input, in order, or use typed contents for all");
        }
        BinaryInferRequest request = new BinaryInferRequest();
        if (!r.getId().isEmpty()) {
            request.id(r.getId());
        }
        copy(r.getParametersMap(), request.parameters());
        for (int i = 0; i < r.getInputsCount(); i++) {
            ModelInferRequest.InferInputTensor in = r.getInputs(i);
            if (raw && in.hasContents()) {
                throw KilnError.invalid("input '" + in.getName() + "' has typed contents while raw_input_contents is used: use one form");
            }
            byte[] bytes = raw ? r.getRawInputContents(i).toByteArray() : typed(in);
            copy(in.getParametersMap(), request.input(in.getName(), in.getDatatype(), in.getShapeList(), bytes));
        }
        for (ModelInferRequest.InferRequestedOutputTensor o : r.getOutputsList()) {
            copy(o.getParametersMap(), request.output(o.getName()));
        }
        return new Encoded(request.encode(), raw || r.getInputsCount() == 0);
    }

    /** The caller's parameters, except where Kiln set its own (binary sizes and forms stay Kiln's). */
    private static void copy(Map<String, InferParameter> from, ObjectNode to) {
        from.forEach((k, v) -> {
            if (to.has(k)) {
                return;
            }
            switch (v.getParameterChoiceCase()) {
                case BOOL_PARAM -> to.put(k, v.getBoolParam());
                case INT64_PARAM -> to.put(k, v.getInt64Param());
                case STRING_PARAM -> to.put(k, v.getStringParam());
                default -> { }
            }
        });
    }

    /** Typed contents in the raw layout of the tensor's datatype. */
    static byte[] typed(ModelInferRequest.InferInputTensor in) {
        InferTensorContents c = in.getContents();
        String type = in.getDatatype();
        ByteBuffer b;
        switch (type) {
            case "BOOL" -> {
                b = buffer(c.getBoolContentsCount());
                c.getBoolContentsList().forEach(v -> b.put((byte) (v ? 1 : 0)));
            }
            case "INT8", "UINT8" -> {
                var list = type.equals("INT8") ? c.getIntContentsList() : c.getUintContentsList();
                b = buffer(list.size());
                list.forEach(v -> b.put(v.byteValue()));
            }
            case "INT16", "UINT16" -> {
                var list = type.equals("INT16") ? c.getIntContentsList() : c.getUintContentsList();
                b = buffer(list.size() * 2);
                list.forEach(v -> b.putShort(v.shortValue()));
            }
            case "INT32", "UINT32" -> {
                var list = type.equals("INT32") ? c.getIntContentsList() : c.getUintContentsList();
                b = buffer(list.size() * 4);
                list.forEach(b::putInt);
            }
            case "INT64", "UINT64" -> {
                var list = type.equals("INT64") ? c.getInt64ContentsList() : c.getUint64ContentsList();
                b = buffer(list.size() * 8);
                list.forEach(b::putLong);
            }
            case "FP32" -> {
                b = buffer(c.getFp32ContentsCount() * 4);
                c.getFp32ContentsList().forEach(b::putFloat);
            }
            case "FP64" -> {
                b = buffer(c.getFp64ContentsCount() * 8);
                c.getFp64ContentsList().forEach(b::putDouble);
            }
            case "BYTES" -> {
                b = buffer(c.getBytesContentsList().stream().mapToInt(s -> 4 + s.size()).sum());
                c.getBytesContentsList().forEach(s -> b.putInt(s.size()).put(s.toByteArray()));
            }
            case "FP16" -> throw KilnError.invalid("input '" + in.getName() + "': FP16 has no typed contents in the protocol;"
                    + " send it in raw_input_contents");
            default -> throw KilnError.invalid("input '" + in.getName() + "': unknown datatype '" + type + "'");
        }
        return b.array();
    }

    private static ByteBuffer buffer(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The inference path's binary answer as a ModelInferResponse, raw or typed. */
    static ModelInferResponse decode(V2Answer answer, boolean raw) {
        JsonNode header = answer.header();
        ModelInferResponse.Builder out = ModelInferResponse.newBuilder()
                .setModelName(header.path("model_name").asText())
                .setModelVersion(header.path("model_version").asText(""))
                .setId(header.path("id").asText(""));
        for (V2Answer.Output o : answer.outputs(header)) {
            ModelInferResponse.InferOutputTensor.Builder t = ModelInferResponse.InferOutputTensor.newBuilder()
                    .setName(o.name()).setDatatype(o.datatype());
            for (long d : o.shape()) {
                t.addShape(d);
            }
            if (raw) {
                out.addRawOutputContents(ByteString.copyFrom(o.data()));
            } else {
                t.setContents(contents(o.datatype(), o.data()));
            }
            out.addOutputs(t);
        }
        return out.build();
    }

    private static InferTensorContents contents(String type, ByteBuffer b) {
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        switch (type) {
            case "BOOL" -> { while (b.hasRemaining()) c.addBoolContents(b.get() != 0); }
            case "INT8" -> { while (b.hasRemaining()) c.addIntContents(b.get()); }
            case "UINT8" -> { while (b.hasRemaining()) c.addUintContents(b.get() & 0xFF); }
            case "INT16" -> { while (b.hasRemaining()) c.addIntContents(b.getShort()); }
            case "UINT16" -> { while (b.hasRemaining()) c.addUintContents(b.getShort() & 0xFFFF); }
            case "INT32" -> { while (b.hasRemaining()) c.addIntContents(b.getInt()); }
            case "UINT32" -> { while (b.hasRemaining()) c.addUintContents(b.getInt()); }
            case "INT64" -> { while (b.hasRemaining()) c.addInt64Contents(b.getLong()); }
            case "UINT64" -> { while (b.hasRemaining()) c.addUint64Contents(b.getLong()); }
            case "FP32" -> { while (b.hasRemaining()) c.addFp32Contents(b.getFloat()); }
            case "FP64" -> { while (b.hasRemaining()) c.addFp64Contents(b.getDouble()); }
            case "BYTES" -> {
                while (b.hasRemaining()) {
                    byte[] s = new byte[b.getInt()];
                    b.get(s);
                    c.addBytesContents(ByteString.copyFrom(s));
                }
            }
            default -> throw KilnError.invalid("output datatype " + type + " has no typed contents in the protocol (FP16):"
                    + " send the inputs in raw_input_contents to get raw outputs");
        }
        return c.build();
    }
}
