package dev.kiln.inference;

import dev.kiln.errors.KilnError;
import dev.kiln.inference.V2Records.ModelMetadata;
import dev.kiln.inference.V2Records.ModelReady;
import dev.kiln.inference.V2Records.RepositoryModel;
import dev.kiln.inference.V2Records.ServerMetadata;
import dev.kiln.inference.V2Records.ServerReady;
import dev.kiln.registry.ModelNotFoundException;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelState;
import dev.kiln.registry.ModelStatus;
import dev.kiln.registry.ModelVersions;
import dev.kiln.registry.ServedModels;
import dev.kiln.routing.VersionRouter;
import dev.kiln.runtime.OnnxEngine;
import dev.kiln.runtime.OnnxFileSignature;
import dev.kiln.telemetry.InferenceStats;
import dev.kiln.telemetry.UsageTracker;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.ArrayList;
import java.util.List;

/**
 * The protocol's read-only questions (server metadata and readiness, model metadata and readiness,
 * statistics, the repository index's rows) answered from the registry's state; no lifecycle decisions here.
 * A question about a model without a version is about the version its unversioned calls reach most.
 */
@ApplicationScoped
public class V2Queries {

    private final ModelRegistry registry;
    private final ServedModels served;
    private final OnnxEngine engine;
    private final UsageTracker usage;
    private final VersionRouter router;
    private final String version;

    public V2Queries(ModelRegistry registry, ServedModels served, OnnxEngine engine, UsageTracker usage,
                     VersionRouter router, @ConfigProperty(name = "quarkus.application.version", defaultValue = "dev") String version) {
        this.registry = registry;
        this.served = served;
        this.engine = engine;
        this.usage = usage;
        this.router = router;
        this.version = version;
    }

    public ServerMetadata serverMetadata() {
        return new ServerMetadata("kiln", version, List.of("model_repository", "binary_tensor_data", "statistics"));
    }

    public ServerReady serverReady() {
        List<String> notReady = registry.requiredNotReady();
        return notReady.isEmpty() ? new ServerReady(true, null)
                : new ServerReady(false, "models that must be resident are not ready: " + String.join(", ", notReady));
    }

    /**
     * Inputs and outputs of the version's session when one was opened, else as its model file
     * declares them: asking about a model never loads it. {@code versions} lists every version
     * served. A file that cannot be read says why in {@code reason}.
     */
    public ModelMetadata metadata(String model, String versionAsked) {
        if (served.composite(model)) {
            ModelStatus status = served.status(model);
            return new ModelMetadata(status.name(), List.of(PIPELINE_VERSION), PIPELINE_PLATFORM, status.inputs(),
                    status.outputs(), status.state().name(), status.entry().problem());
        }
        ModelVersions m = model(model);
        ModelStatus status = version(m, versionAsked);
        List<String> versions = m.served().stream().map(s -> Integer.toString(s.version())).toList();
        if (status.loadCount() > 0) {
            return new ModelMetadata(status.name(), versions, InferenceService.PLATFORM, status.inputs(), status.outputs(), status.state().name(), null);
        }
        try {
            OnnxFileSignature.Signature declared = engine.signature(status.entry());
            return new ModelMetadata(status.name(), versions, InferenceService.PLATFORM, declared.inputs(), declared.outputs(), status.state().name(), null);
        } catch (java.io.IOException e) {
            return new ModelMetadata(status.name(), versions, InferenceService.PLATFORM, null, null, status.state().name(),
                    "model.onnx cannot be read as an ONNX model: " + e.getMessage());
        }
    }

    /** A pipeline's platform in its metadata: it runs several models, as Triton's "ensemble" does. */
    public static final String PIPELINE_PLATFORM = "pipeline";
    /** A pipeline has one version: its pipeline.yaml. */
    public static final String PIPELINE_VERSION = "1";

    /**
     * Statistics of every served version of every model and every pipeline ({@code model} null), of
     * one model's served versions ({@code versionAsked} null), or of one version (a number or an alias).
     */
    public V2Records.ModelStatistics statistics(String model, String versionAsked) {
        List<ModelStatus> versions;
        if (model == null) {
            versions = served.list();
        } else if (served.composite(model)) {
            versions = List.of(served.status(model));
        } else if (versionAsked == null) {
            versions = model(model).served();
        } else {
            versions = List.of(version(model(model), versionAsked));
        }
        return new V2Records.ModelStatistics(versions.stream().map(this::stat).toList());
    }

    private V2Records.ModelStat stat(ModelStatus m) {
        InferenceStats s = usage.stats(m.name(), m.version())
                .orElse(new InferenceStats(0, 0, 0, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, List.of()));
        return new V2Records.ModelStat(m.name(), Integer.toString(m.version()), s.lastInferenceMillis(), s.inferenceCount(),
                s.executionCount(), new V2Records.InferStats(d(s.success()), d(s.fail()), d(s.queue()), d(s.computeInput()),
                d(s.computeInfer()), d(s.computeOutput()), d(ZERO), d(ZERO)),
                s.batches().stream().map(b -> new V2Records.BatchStat(b.batchSize(), d(b.computeInput()), d(b.computeInfer()),
                        d(b.computeOutput()))).toList(),
                m.entry().manifest().routingOrNone().aliasesOf(m.version()), usage.shadowStats(m.name(), m.version()).orElse(null));
    }

    private static final InferenceStats.Duration ZERO = new InferenceStats.Duration(0, 0);

    private static V2Records.StatDuration d(InferenceStats.Duration x) {
        return new V2Records.StatDuration(x.count(), x.ns());
    }

    public ModelReady modelReady(String model, String versionAsked) {
        ModelStatus status = served.composite(model) ? served.status(model) : version(model(model), versionAsked);
        String why = reason(status);
        String label = status.version() == 1 && versionAsked == null ? "model '" + status.name() + "'"
                : "model '" + status.name() + "' version " + status.version();
        return new ModelReady(status.name(), status.loaded(), status.state().name(), why, status.loaded() ? null
                : label + " is not ready: " + status.state() + (why != null ? " (" + why + ")" : ""),
                Integer.toString(status.version()));
    }

    /**
     * The repository index: a row per version of every model, the served ones with their state, the
     * others on disk as UNAVAILABLE saying that the version policy leaves them out.
     */
    public List<RepositoryModel> index(boolean readyOnly) {
        List<RepositoryModel> rows = new ArrayList<>();
        for (ModelVersions m : registry.models()) {
            m.served().forEach(s -> rows.add(repositoryModel(s)));
            for (int n : m.notServed()) {
                rows.add(new RepositoryModel(m.name(), Integer.toString(n), "UNAVAILABLE",
                        "not served: version_policy " + m.manifest().policy().text()));
            }
        }
        served.list().stream().filter(ServedModels::isComposite).forEach(p -> rows.add(repositoryModel(p)));
        rows.sort(java.util.Comparator.comparing(RepositoryModel::name).thenComparingInt(r -> Integer.parseInt(r.version())));
        return rows.stream().filter(r -> !readyOnly || "READY".equals(r.state())).toList();
    }

    public static RepositoryModel repositoryModel(ModelStatus status) {
        return new RepositoryModel(status.name(), Integer.toString(status.version()), v2State(status.state()), reason(status));
    }

    /** A load that ended FAILED is an error answer carrying ONNX Runtime's reason. */
    public static RepositoryModel requireLoaded(ModelStatus status) {
        if (status.state() == ModelState.FAILED) {
            throw KilnError.internal("model '" + status.name() + "' failed to load: " + status.reason());
        }
        return repositoryModel(status);
    }

    /** The version asked about (a number or an alias), or the one unversioned calls reach most. */
    private ModelStatus version(ModelVersions m, String versionAsked) {
        if (versionAsked == null || versionAsked.isEmpty()) {
            return router.primary(m);
        }
        int v = router.resolve(m.name(), versionAsked);
        return m.version(v).orElseThrow(() -> new ModelNotFoundException(m.name()));
    }

    private ModelVersions model(String name) {
        return registry.model(dev.kiln.catalog.ModelName.require(name)).orElseThrow(() -> new ModelNotFoundException(name));
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
