package dev.kiln.inference;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.runtime.Datatype;
import dev.kiln.runtime.OutputTensor;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;

/**
 * The V2 REST wire form, both ways: one reader and one writer for the service, taking their JSON
 * features from the service's one mapper (web/JacksonSettings: fast floats, duplicate keys refused).
 */
@ApplicationScoped
public class V2Codec {

    private final V2RequestReader reader;
    private final V2ResponseWriter writer;
    private final JsonFactory factory;

    private final InflightBytes inflight;

    public V2Codec(ObjectMapper json, InflightBytes inflight) {
        this.inflight = inflight;
        // The buffers come from Jackson's thread-local pool: with the pool Quarkus installs, V2 JSON at
        // 1 client was 0.06-0.18 ms slower in 4 of 4 A/B rounds here.
        JsonFactory codec = json.getFactory().rebuild().recyclerPool(JsonRecyclerPools.threadLocalPool()).build();
        this.factory = codec;
        this.reader = new V2RequestReader(new ObjectMapper(codec));
        this.writer = new V2ResponseWriter(codec);
    }

    /**
     * A V2 REST request to a version of a model: its body, the binary extension's header length or
     * -1, and the body's bytes held in the inference budget (null when none), given back once the
     * body is read. The answer names the version.
     */
    public InferenceCall<V2Answer> call(String model, int version, byte[] body, int headerLength, InflightBytes.Reservation held) {
        return new V2Call(model, version, body, headerLength, held, () -> false);
    }

    /** As above, for a caller whose going away {@code gone} tells (a closed connection). */
    public InferenceCall<V2Answer> call(String model, int version, byte[] body, int headerLength, InflightBytes.Reservation held,
                                        java.util.function.BooleanSupplier gone) {
        return new V2Call(model, version, body, headerLength, held, gone);
    }

    /**
     * The request's {@code id}, read ahead of the request (only its top-level fields, the tensors
     * skipped), for routing; null when it has none or the body is not what it should be (reading
     * the request proper says why).
     */
    public String requestId(byte[] body, int headerLength) {
        int length = headerLength < 0 ? body.length : Math.min(headerLength, body.length);
        try (com.fasterxml.jackson.core.JsonParser p = factory.createParser(body, 0, length)) {
            if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                String field = p.currentName();
                com.fasterxml.jackson.core.JsonToken value = p.nextToken();
                if ("id".equals(field)) {
                    return value == com.fasterxml.jackson.core.JsonToken.VALUE_STRING ? p.getText() : null;
                }
                p.skipChildren();
            }
            return null;
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    private final class V2Call implements InferenceCall<V2Answer> {
        private final String model;
        private final String version;
        private final int headerLength;
        private final InflightBytes.Reservation held;
        private final java.util.function.BooleanSupplier gone;
        private final int size;
        private byte[] body;
        private V2Request request;

        V2Call(String model, int version, byte[] body, int headerLength, InflightBytes.Reservation held,
               java.util.function.BooleanSupplier gone) {
            this.model = model;
            this.version = Integer.toString(version);
            this.body = body;
            this.size = body.length;
            this.headerLength = headerLength;
            this.held = held;
            this.gone = gone;
        }

        @Override
        public boolean abandoned() {
            return gone.getAsBoolean();
        }

        @Override
        public long wireBytes() {
            return size;
        }

        @Override
        public ModelInputs decode(ModelSignature signature) {
            try {
                request = reader.read(body, headerLength, signature);
            } finally {
                // Its tensors are out: the body is garbage, and its place in the budget goes to the answer.
                body = null;
                if (held != null) {
                    held.close();
                }
            }
            return new ModelInputs(request.inputs(), request.outputNames());
        }

        @Override
        public long answerBytes(String output, Datatype type, long elements) {
            return V2ResponseWriter.answerBytes(request, output, type, elements);
        }

        @Override
        public V2Answer encode(List<OutputTensor> outputs) {
            V2ResponseWriter.checkStrings(model, request, outputs, inflight.maxAnswer());
            return writer.write(model, version, request, outputs);
        }
    }
}
