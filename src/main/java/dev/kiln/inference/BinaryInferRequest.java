package dev.kiln.inference;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.errors.KilnError;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * A V2 request in the binary tensor form, built by the callers that speak to the inference path
 * from inside Kiln (the gRPC edge, the embeddings): a JSON header, then each input's raw bytes.
 * Every output is asked for in binary, so {@link V2Answer#outputs()} can read the answer back.
 */
public final class BinaryInferRequest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode header = JSON.createObjectNode();
    private final ObjectNode parameters = header.putObject("parameters").put("binary_data_output", true);
    private final ArrayNode inputs = header.putArray("inputs");
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();
    private ArrayNode outputs;

    /** The request's body and the length of its JSON part (Inference-Header-Content-Length). */
    public record Encoded(byte[] body, int headerLength) {
    }

    public BinaryInferRequest id(String id) {
        header.put("id", id);
        return this;
    }

    /** The request's parameters, for the caller to add its own. */
    public ObjectNode parameters() {
        return parameters;
    }

    /** Adds an input with its raw little-endian bytes; returns its parameters, for the caller to add its own. */
    public ObjectNode input(String name, String datatype, List<Long> shape, byte[] bytes) {
        ObjectNode t = inputs.addObject().put("name", name).put("datatype", datatype);
        ArrayNode s = t.putArray("shape");
        shape.forEach(s::add);
        data.writeBytes(bytes);
        return t.putObject("parameters").put("binary_data_size", bytes.length);
    }

    /** Asks for one output (none asked: every output); returns its parameters. */
    public ObjectNode output(String name) {
        if (outputs == null) {
            outputs = header.putArray("outputs");
        }
        return outputs.addObject().put("name", name).putObject("parameters").put("binary_data", true);
    }

    public Encoded encode() {
        byte[] head;
        try {
            head = JSON.writeValueAsBytes(header);
        } catch (IOException e) {
            throw KilnError.internal("cannot write a request header: " + e.getMessage());
        }
        byte[] body = new byte[head.length + data.size()];
        System.arraycopy(head, 0, body, 0, head.length);
        System.arraycopy(data.toByteArray(), 0, body, head.length, data.size());
        return new Encoded(body, head.length);
    }
}
