package dev.kiln.inference;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.errors.KilnError;
import dev.kiln.runtime.TensorSpec;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;
import java.util.Map;

/** The JSON shapes of the KServe Open Inference Protocol (V2), REST flavour. */
public final class V2Records {

    private V2Records() {
    }

    @RegisterForReflection
    public record ServerMetadata(String name, String version, List<String> extensions) {
    }

    @RegisterForReflection
    public record ServerLive(boolean live) {
    }

    @RegisterForReflection
    public record ServerReady(boolean ready) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    public record ModelReady(String name, boolean ready, String state, String reason) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    public record ModelMetadata(String name, List<String> versions, String platform,
                                List<TensorSpec> inputs, List<TensorSpec> outputs, String state, String reason) {
    }

    @RegisterForReflection
    public record InferRequest(String id, Map<String, Object> parameters, List<InferInput> inputs,
                               List<RequestedOutput> outputs) {
    }

    @RegisterForReflection
    public record InferInput(String name, JsonNode shape, String datatype, Map<String, Object> parameters, JsonNode data) {

        /** The shape as numbers, or a 400 that names the input when it is not an array of integers. */
        public long[] dims() {
            if (shape == null || shape.isNull()) {
                return null;
            }
            if (!shape.isArray()) {
                throw KilnError.invalid("input '" + name + "': 'shape' must be an array of integers");
            }
            long[] dims = new long[shape.size()];
            for (int i = 0; i < dims.length; i++) {
                JsonNode d = shape.get(i);
                if (!d.isIntegralNumber() || !d.canConvertToLong()) {
                    throw KilnError.invalid("input '" + name + "': 'shape' must be an array of integers, got " + shape);
                }
                dims[i] = d.longValue();
            }
            return dims;
        }
    }

    @RegisterForReflection
    public record RequestedOutput(String name, Map<String, Object> parameters) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    public record InferResponse(String modelName, String modelVersion, String id, Map<String, Object> parameters,
                                List<InferOutput> outputs) {
    }

    @RegisterForReflection
    public record InferOutput(String name, String datatype, long[] shape, Object data) {
    }

    /** Entry of {@code POST /v2/repository/index}; state is one of the protocol's five words. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    public record RepositoryModel(String name, String version, String state, String reason) {
    }

    @RegisterForReflection
    public record RepositoryIndexRequest(Boolean ready) {
    }
}
