package dev.kiln.inference;

import dev.kiln.errors.KilnError;
import dev.kiln.inference.V2Records.ModelMetadata;
import dev.kiln.inference.V2Records.ModelReady;
import dev.kiln.inference.V2Records.RepositoryModel;
import dev.kiln.inference.V2Records.ServerMetadata;
import dev.kiln.inference.V2Records.ServerReady;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelState;
import dev.kiln.registry.ModelStatus;
import dev.kiln.registry.ResidencyPolicy;
import dev.kiln.registry.ServedModels;
import dev.kiln.runtime.OnnxEngine;
import dev.kiln.runtime.OnnxFileSignature;
import dev.kiln.telemetry.InferenceStats;
import dev.kiln.telemetry.UsageTracker;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.List;

/**
 * The protocol's read-only questions (server metadata and readiness, model metadata and readiness,
 * statistics, the repository index's rows) answered from the registry's state; no lifecycle decisions here.
 */
@ApplicationScoped
public class V2Queries {

    private final ModelRegistry registry;
    private final ServedModels served;
    private final ResidencyPolicy residency;
    private final OnnxEngine engine;
    private final UsageTracker usage;
    private final String version;

    public V2Queries(ModelRegistry registry, ServedModels served, ResidencyPolicy residency, OnnxEngine engine, UsageTracker usage,
                   @ConfigProperty(name = "quarkus.application.version", defaultValue = "dev") String version) {
        this.registry = registry;
        this.served = served;
        this.residency = residency;
        this.engine = engine;
        this.usage = usage;
        this.version = version;
    }

    public ServerMetadata serverMetadata() {
        return new ServerMetadata("kiln", version, List.of("model_repository", "binary_tensor_data", "statistics"));
    }

    public ServerReady serverReady() {
        List<String> notReady = residency.notReady(registry.list());
        return notReady.isEmpty() ? new ServerReady(true, null)
                : new ServerReady(false, "models that must be resident are not ready: " + String.join(", ", notReady));
    }

    /**
     * Inputs and outputs of the session when one was opened, else as the model file declares them:
     * asking about a model never loads it. A file that cannot be read says why in {@code reason}.
     */
    public ModelMetadata metadata(String model) {
        ModelStatus status = served.status(model);
        if (ServedModels.isComposite(status)) {
            return new ModelMetadata(status.name(), List.of(InferenceService.VERSION), PIPELINE_PLATFORM, status.inputs(),
                    status.outputs(), status.state().name(), status.entry().problem());
        }
        if (status.loadCount() > 0) {
            return new ModelMetadata(status.name(), List.of(InferenceService.VERSION), InferenceService.PLATFORM,
                    status.inputs(), status.outputs(), status.state().name(), null);
        }
        try {
            OnnxFileSignature.Signature declared = engine.signature(status.entry());
            return new ModelMetadata(status.name(), List.of(InferenceService.VERSION), InferenceService.PLATFORM,
                    declared.inputs(), declared.outputs(), status.state().name(), null);
        } catch (java.io.IOException e) {
            return new ModelMetadata(status.name(), List.of(InferenceService.VERSION), InferenceService.PLATFORM,
                    null, null, status.state().name(), "model.onnx cannot be read as an ONNX model: " + e.getMessage());
        }
    }

    /** A pipeline's platform in its metadata: it runs several models, as Triton's "ensemble" does. */
    public static final String PIPELINE_PLATFORM = "pipeline";

    /** Statistics of one model or pipeline (404 when unknown), or of every one when {@code model} is null. */
    public V2Records.ModelStatistics statistics(String model) {
        List<ModelStatus> models = model == null ? served.list() : List.of(served.status(model));
        return new V2Records.ModelStatistics(models.stream().map(m -> stat(m.name())).toList());
    }

    private V2Records.ModelStat stat(String name) {
        InferenceStats s = usage.stats(name).orElse(new InferenceStats(0, 0, 0, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, List.of()));
        return new V2Records.ModelStat(name, InferenceService.VERSION, s.lastInferenceMillis(), s.inferenceCount(),
                s.executionCount(), new V2Records.InferStats(d(s.success()), d(s.fail()), d(s.queue()), d(s.computeInput()),
                d(s.computeInfer()), d(s.computeOutput()), d(ZERO), d(ZERO)),
                s.batches().stream().map(b -> new V2Records.BatchStat(b.batchSize(), d(b.computeInput()), d(b.computeInfer()),
                        d(b.computeOutput()))).toList());
    }

    private static final InferenceStats.Duration ZERO = new InferenceStats.Duration(0, 0);

    private static V2Records.StatDuration d(InferenceStats.Duration x) {
        return new V2Records.StatDuration(x.count(), x.ns());
    }

    /** Every model and pipeline, as the repository index lists them. */
    public List<RepositoryModel> index() {
        return served.list().stream().map(V2Queries::repositoryModel).toList();
    }

    public ModelReady modelReady(String model) {
        ModelStatus status = served.status(model);
        String why = reason(status);
        return new ModelReady(status.name(), status.loaded(), status.state().name(), why, status.loaded() ? null
                : "model '" + status.name() + "' is not ready: " + status.state() + (why != null ? " (" + why + ")" : ""));
    }

    public static RepositoryModel repositoryModel(ModelStatus status) {
        return new RepositoryModel(status.name(), InferenceService.VERSION, v2State(status.state()), reason(status));
    }

    /** A load that ended FAILED is an error answer carrying ONNX Runtime's reason. */
    public static RepositoryModel requireLoaded(ModelStatus status) {
        if (status.state() == ModelState.FAILED) {
            throw KilnError.internal("model '" + status.name() + "' failed to load: " + status.reason());
        }
        return repositoryModel(status);
    }

    /** The protocol's five words: UNKNOWN, READY, UNAVAILABLE, LOADING, UNLOADING. */
    static String v2State(ModelState state) {
        return switch (state) {
            case READY -> "READY";
            case LOADING -> "LOADING";
            case UNLOADING -> "UNLOADING";
            case AVAILABLE, FAILED, DISABLED, REMOVED -> "UNAVAILABLE";
        };
    }

    static String reason(ModelStatus status) {
        return switch (status.state()) {
            case READY, LOADING, UNLOADING -> "";
            case AVAILABLE -> status.reason() == null ? "not loaded" : "not loaded: " + status.reason();
            case FAILED -> "failed: " + status.reason();
            case DISABLED -> "disabled: " + status.reason();
            case REMOVED -> "removed: " + status.reason();
        };
    }
}
