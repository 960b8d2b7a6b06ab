package dev.kiln.inference;

import com.fasterxml.jackson.annotation.JsonInclude;
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

    /** {@code error} is there only when not ready: which required models are not, so a 400 says why. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    public record ServerReady(boolean ready, String error) {
    }

    /** {@code error} is there only when not ready, so the 400 it comes with says why; {@code version} is the version asked about. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    public record ModelReady(String name, boolean ready, String state, String reason, String error, String version) {
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

    /** An input as the protocol writes it; Kiln reads requests with a streaming parser and uses this for the API description. */
    @RegisterForReflection
    public record InferInput(String name, long[] shape, String datatype, Map<String, Object> parameters, Object data) {
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

    /** {@code GET /v2/models/stats}: the statistics extension as Triton defines it. */
    @RegisterForReflection
    public record ModelStatistics(List<ModelStat> modelStats) {
    }

    /**
     * One version's statistics. Kiln adds {@code aliases} (those naming the version) and {@code shadow}
     * (its shadow runs: copies of calls another version answered, compared with that one's answers),
     * each only when there is something to say.
     */
    @RegisterForReflection
    public record ModelStat(String name, String version, long lastInference, long inferenceCount, long executionCount,
                            InferStats inferenceStats, List<BatchStat> batchStats,
                            @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> aliases,
                            @JsonInclude(JsonInclude.Include.NON_NULL) dev.kiln.telemetry.ShadowStats shadow) {
    }

    /** Count and total nanoseconds of each phase; Kiln has no response cache, so its hits and misses stay 0. */
    @RegisterForReflection
    public record InferStats(StatDuration success, StatDuration fail, StatDuration queue, StatDuration computeInput,
                             StatDuration computeInfer, StatDuration computeOutput, StatDuration cacheHit, StatDuration cacheMiss) {
    }

    @RegisterForReflection
    public record StatDuration(long count, long ns) {
    }

    @RegisterForReflection
    public record BatchStat(long batchSize, StatDuration computeInput, StatDuration computeInfer, StatDuration computeOutput) {
    }
}
