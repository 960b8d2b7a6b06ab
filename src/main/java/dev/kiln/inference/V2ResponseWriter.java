package dev.kiln.inference;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.kiln.runtime.Datatype;
import dev.kiln.runtime.OutputTensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes one caller's answer from its rows of a run's outputs: V2 JSON straight from the output
 * buffers, or the JSON header and then the binary outputs for those asked for as binary
 * ({@code binary_data} on the output, or {@code binary_data_output}), appended without a copy.
 */
final class V2ResponseWriter {

    /** The most a float takes in JSON ("-1.2345678E-38" and a comma): what an answer is weighed at before it runs. */
    static final int JSON_BYTES_PER_NUMBER = 16;

    private final JsonFactory json;

    V2ResponseWriter(JsonFactory json) {
        this.json = json;
    }

    V2Answer write(String model, String version, V2Request request, List<OutputTensor> outputs) {
        List<OutputTensor> chosen = chosen(request, outputs);
        List<OutputTensor> binary = new ArrayList<>();
        AnswerChunks out = new AnswerChunks(estimate(request, chosen));
        // Closed by hand, not by try-with-resources: when writing ran out of heap, closing threw the JVM's
        // one shared OutOfMemoryError again, and adding it to itself as suppressed became an
        // IllegalArgumentException (500) instead of the OutOfMemoryError Kiln answers 507.
        try {
            JsonGenerator g = json.createGenerator(out);
            g.writeStartObject();
            g.writeStringField("model_name", model);
            g.writeStringField("model_version", version);
            if (request.id() != null) {
                g.writeStringField("id", request.id());
            }
            g.writeArrayFieldStart("outputs");
            for (OutputTensor o : chosen) {
                long[] shape = o.shape();
                g.writeStartObject();
                g.writeStringField("name", o.name());
                g.writeStringField("datatype", o.type().name());
                g.writeFieldName("shape");
                g.writeArray(shape, 0, shape.length);
                if (request.binary(o.name())) {
                    binary.add(o);
                    g.writeObjectFieldStart("parameters");
                    g.writeNumberField("binary_data_size", o.binarySize());
                    g.writeEndObject();
                } else {
                    g.writeFieldName("data");
                    o.writeJson(g);
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
            g.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (binary.isEmpty()) {
            return new V2Answer(out.toBuffer(), -1);
        }
        int header = (int) out.size();
        out.sealDirect();
        for (OutputTensor o : binary) {
            out.append(o.type() == Datatype.BYTES ? ByteBuffer.wrap(o.stringsBinary()) : o.littleEndian());
        }
        return new V2Answer(out.toBuffer(), header);
    }

    /** What the answer takes for one output, JSON or binary as the request asks: weighed before the model runs. */
    static long answerBytes(V2Request request, String output, Datatype type, long elements) {
        if (request.binary(output)) {
            return elements * (type == Datatype.BYTES ? 16 : type.bytesPerElement());
        }
        return elements * jsonBytesPerElement(type);
    }

    /**
     * BYTES answers in JSON, weighed now that their strings are out: before the run each element was
     * taken at 16 bytes, and a control character prints as six ("\u0001"), so one 11 MB element made a
     * 66 MB answer past max-answer-bytes and a few at once took the heap. A char prints as at most six.
     */
    static void checkStrings(String model, V2Request request, List<OutputTensor> outputs, long maxAnswer) {
        long bytes = 0;
        for (OutputTensor o : chosen(request, outputs)) {
            if (o.type() == Datatype.BYTES && !request.binary(o.name())) {
                for (String s : o.strings()) {
                    bytes += 6L * s.length() + 3;
                }
            }
        }
        if (bytes > maxAnswer) {
            throw new dev.kiln.errors.KilnError(dev.kiln.errors.KilnError.Kind.TOO_LARGE, "the answer of '" + model
                    + "' would take up to " + bytes + " bytes as JSON strings, more than Kiln writes"
                    + " (ai.models.inference.max-answer-bytes " + maxAnswer + "): ask for binary outputs", null, null);
        }
    }

    /** The most one element takes in JSON with its comma: "-9223372036854775808," for INT64, "-2.2250738585072014E-308," for FP64. */
    static int jsonBytesPerElement(Datatype type) {
        return switch (type) {
            case FP64 -> 25;
            case INT64, UINT64 -> 21;
            case INT32 -> 12;
            case UINT32 -> 11;
            case INT16 -> 7;
            case UINT16, BOOL -> 6;
            case INT8 -> 5;
            case UINT8 -> 4;
            case BYTES -> 16;
            default -> JSON_BYTES_PER_NUMBER;
        };
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

    /** About 12 characters per JSON number: a first chunk that rarely grows for a small answer. */
    private static long estimate(V2Request request, List<OutputTensor> outputs) {
        long n = 256;
        for (OutputTensor o : outputs) {
            n += request.binary(o.name()) ? 64 : o.elements() * 12;
        }
        return n;
    }
}
