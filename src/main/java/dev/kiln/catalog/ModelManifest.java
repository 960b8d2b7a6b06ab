package dev.kiln.catalog;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;
import java.util.Map;

/**
 * {@code model.yaml}: what an operator declares about a model. Absent fields take the defaults of
 * {@link #withDefaults(String)}; {@code size_gb} is never declared, it is measured.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@RegisterForReflection
public record ModelManifest(
        String name,
        String category,
        String provider,
        String inferenceEngine,
        Boolean lazyLoad,
        Boolean enabled,
        Boolean pinned,
        String description,
        Source source,
        Warmup warmup,
        Execution execution,
        String keepAlive,
        Batching batching,
        Map<String, List<Long>> inputLimits,
        Embedding embedding,
        VersionPolicy versionPolicy,
        Routing routing) {

    public static final String DEFAULT_PROVIDER = "local";
    public static final String DEFAULT_ENGINE = "onnxruntime";

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    public record Source(String url, String sha256) {
    }

    /** Warm-up: how many inferences, and the sizes to use for dynamic dimensions per input. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    public record Warmup(Integer iterations, Map<String, List<Long>> shapes) {
    }

    /** Per-model execution overrides of the service-wide settings. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    public record Execution(List<String> providers, Integer intraOpThreads, Integer interOpThreads) {
    }

    /**
     * Dynamic batching, as Triton's dynamic batcher: requests that wait together (up to
     * {@code max_queue_delay}, e.g. {@code 2ms}) are run as one batch of up to {@code max_batch_size}
     * rows; reaching one of {@code preferred_batch_sizes} runs at once. Only models whose inputs and
     * outputs have a dynamic first dimension are batched.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    public record Batching(Integer maxBatchSize, String maxQueueDelay, List<Integer> preferredBatchSizes) {
    }

    /**
     * Text embeddings: how the token states are pooled into one vector ({@code mean} weighted by the
     * attention mask, or {@code cls}), whether it is L2-normalised, and the most tokens a text keeps.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    public record Embedding(String pooling, Boolean normalize, Integer maxTokens) {
    }

    /** The manifest a bare directory holding only {@code model.onnx} gets. */
    public static ModelManifest defaults(String name) {
        return new ModelManifest(name, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null).withDefaults(name);
    }

    public ModelManifest withDefaults(String directoryName) {
        return new ModelManifest(
                name != null ? name : directoryName,
                category != null ? category : Category.UNSPECIFIED,
                provider != null ? provider : DEFAULT_PROVIDER,
                inferenceEngine != null ? inferenceEngine : DEFAULT_ENGINE,
                lazyLoad != null ? lazyLoad : Boolean.FALSE,
                enabled != null ? enabled : Boolean.TRUE,
                pinned != null ? pinned : Boolean.FALSE,
                description,
                source,
                warmup,
                execution,
                keepAlive,
                batching,
                inputLimits,
                embedding,
                versionPolicy,
                routing);
    }

    public ModelManifest withEnabled(boolean value) {
        return new ModelManifest(name, category, provider, inferenceEngine, lazyLoad, value, pinned,
                description, source, warmup, execution, keepAlive, batching, inputLimits, embedding, versionPolicy, routing);
    }

    public ModelManifest withVersionPolicy(VersionPolicy value) {
        return new ModelManifest(name, category, provider, inferenceEngine, lazyLoad, enabled, pinned,
                description, source, warmup, execution, keepAlive, batching, inputLimits, embedding, value, routing);
    }

    public ModelManifest withRouting(Routing value) {
        return new ModelManifest(name, category, provider, inferenceEngine, lazyLoad, enabled, pinned,
                description, source, warmup, execution, keepAlive, batching, inputLimits, embedding, versionPolicy,
                value == null || value.isEmpty() ? null : value);
    }

    /** Which versions are served: every version on disk unless model.yaml says otherwise. */
    @JsonIgnore
    public VersionPolicy policy() {
        return versionPolicy != null ? versionPolicy : VersionPolicy.ALL;
    }

    @JsonIgnore
    public Routing routingOrNone() {
        return routing != null ? routing : Routing.NONE;
    }

    /**
     * The manifest without what only steers traffic between versions (policy, routing): two versions
     * whose manifests differ only there open the same session, so a promote never reopens one.
     */
    public ModelManifest withoutTraffic() {
        return versionPolicy == null && routing == null ? this : withVersionPolicy(null).withRouting(null);
    }

    @JsonIgnore
    public boolean isLazy() {
        return Boolean.TRUE.equals(lazyLoad);
    }

    @JsonIgnore
    public boolean isEnabled() {
        return !Boolean.FALSE.equals(enabled);
    }
}
