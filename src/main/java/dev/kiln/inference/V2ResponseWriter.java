package dev.kiln.inference;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.kiln.runtime.OutputTensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes one caller's answer from the outputs of a run (its own rows, when the run was a batch):
 * V2 JSON straight from the output buffers, or the JSON header and then the binary outputs for
 * those asked for as binary ({@code binary_data} on the output, or {@code binary_data_output}).
 */
final class V2ResponseWriter {

    /** For a run of one request: every output whole, whatever its first dimension. */
    static final long WHOLE = -1;

    private final JsonFactory json;

    V2ResponseWriter(JsonFactory json) {
        this.json = json;
    }

    V2Answer write(String model, String version, V2Request request, List<OutputTensor> outputs, long firstRow, long rows)
            throws IOException {
        List<OutputTensor> chosen = chosen(request, outputs);
        List<OutputTensor> binary = new ArrayList<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream(estimate(chosen, rows));
        try (JsonGenerator g = json.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("model_name", model);
            g.writeStringField("model_version", version);
            if (request.id() != null) {
                g.writeStringField("id", request.id());
            }
            g.writeArrayFieldStart("outputs");
            for (OutputTensor o : chosen) {
                long n = rows == WHOLE ? o.rows() : rows;
                long[] shape = o.shape(n);
                g.writeStartObject();
                g.writeStringField("name", o.name());
                g.writeStringField("datatype", o.type().name());
                g.writeFieldName("shape");
                g.writeArray(shape, 0, shape.length);
                if (request.binaryOutput() || wantsBinary(request, o.name())) {
                    binary.add(o);
                    g.writeObjectFieldStart("parameters");
                    g.writeNumberField("binary_data_size", o.binarySize(firstRow, n));
                    g.writeEndObject();
                } else {
                    g.writeFieldName("data");
                    o.writeJson(g, firstRow, n);
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        if (binary.isEmpty()) {
            return new V2Answer(out.toByteArray(), -1);
        }
        int header = out.size();
        for (OutputTensor o : binary) {
            o.writeBinary(out, firstRow, rows == WHOLE ? o.rows() : rows);
        }
        return new V2Answer(out.toByteArray(), header);
    }

    /** The outputs asked for, in the order asked; all of them when none was named. */
    private static List<OutputTensor> chosen(V2Request request, List<OutputTensor> outputs) {
        if (request.outputs().isEmpty()) {
            return outputs;
        }
        return request.outputs().stream()
                .map(r -> outputs.stream().filter(o -> o.name().equals(r.name())).findFirst().orElseThrow())
                .toList();
    }

    private static boolean wantsBinary(V2Request request, String output) {
        return request.outputs().stream().anyMatch(r -> r.name().equals(output) && r.binary());
    }

    /** About 12 characters per JSON number of the caller's rows: a buffer that rarely grows. */
    private static int estimate(List<OutputTensor> outputs, long rows) {
        long n = 256;
        for (OutputTensor o : outputs) {
            long per = 1;
            for (long d : o.shape(rows == WHOLE ? o.rows() : rows)) {
                per *= Math.max(1, d);
            }
            n += per * 12;
        }
        return (int) Math.min(n, 64L << 20);
    }
}
