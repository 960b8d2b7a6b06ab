package dev.kiln.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.errors.KilnError;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * An inference answer ready to send: JSON, or with the binary tensor data extension the JSON
 * header ({@code headerLength} bytes) followed by the binary outputs.
 */
public record V2Answer(byte[] body, int headerLength) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One output of a binary answer: its description and its little-endian bytes. */
    public record Output(String name, String datatype, long[] shape, ByteBuffer data) {
    }

    public boolean binary() {
        return headerLength >= 0;
    }

    /** The header of a binary answer (model_name, model_version, id, outputs). */
    public JsonNode header() {
        try {
            return JSON.readTree(body, 0, headerLength);
        } catch (IOException e) {
            throw KilnError.internal("unreadable answer from the inference path: " + e.getMessage());
        }
    }

    /** The outputs of a binary answer (a request made with BinaryInferRequest), in order. */
    public List<Output> outputs() {
        return outputs(header());
    }

    /** As above, from a header already read with {@link #header()}. */
    public List<Output> outputs(JsonNode header) {
        List<Output> out = new ArrayList<>();
        int at = headerLength;
        for (JsonNode o : header.path("outputs")) {
            int size = o.path("parameters").path("binary_data_size").asInt();
            long[] shape = new long[o.path("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = o.path("shape").get(i).asLong();
            }
            out.add(new Output(o.path("name").asText(), o.path("datatype").asText(), shape,
                    ByteBuffer.wrap(body, at, size).slice().order(ByteOrder.LITTLE_ENDIAN)));
            at += size;
        }
        return out;
    }
}
