package dev.kiln.telemetry;

import dev.kiln.catalog.Category;
import dev.kiln.catalog.ModelRef;
import dev.kiln.registry.ModelLifecycleEvent;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelStatus;
import dev.kiln.registry.ResidencyPolicy;
import dev.kiln.registry.ServedModels;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one bookkeeping of model use, kept in Micrometer meters per version of each model (a
 * {@code version} label on every per-model metric). Inference reports every request;
 * the registry's lifecycle events report loads; warm-up reports its runs separately, so warm-up
 * is never counted as use.
 */
@ApplicationScoped
public class UsageTracker {

    private final MeterRegistry meters;
    private final ModelRegistry registry;
    private final ServedModels served;
    private final ResidencyPolicy residency;
    private final Map<ModelRef, ModelMeters> byRef = new ConcurrentHashMap<>();
    private final Set<String> categoryGauges = ConcurrentHashMap.newKeySet();
    private static final Set<String> EVICTION_REASONS = Set.of(ModelLifecycleEvent.BUDGET, ModelLifecycleEvent.KEEP_ALIVE,
            ModelLifecycleEvent.ADMIN);

    public UsageTracker(MeterRegistry meters, ModelRegistry registry, ServedModels served, ResidencyPolicy residency) {
        this.meters = meters;
        this.registry = registry;
        this.served = served;
        this.residency = residency;
        Category.STANDARD.forEach(this::categoryGauge);
        Gauge.builder("ai.models.sessions.open", registry, r -> r.openSessions())
                .description("ONNX Runtime sessions open now: serving, draining, replaced but still finishing, or prepared")
                .register(meters);
    }

    public void recordInference(String model, int version, String outcome, long nanos) {
        of(model, version).ifPresent(m -> m.inference(outcome, nanos));
    }

    /** Which transport a request came by ({@code rest}, {@code grpc}), counted before it runs. */
    public void recordTransport(String model, int version, String transport) {
        of(model, version).ifPresent(m -> m.transport(transport));
    }

    /** For what has one version only (a pipeline): its version 1. */
    public void recordInference(String model, String outcome, long nanos) {
        recordInference(model, 1, outcome, nanos);
    }

    public void recordTransport(String model, String transport) {
        recordTransport(model, 1, transport);
    }

    public void recordRejected(String model) {
        recordRejected(model, 1);
    }

    /** The latency readings of every model seen (its versions together), for the recent history. */
    Map<String, ModelMeters.Reading> readings() {
        Map<String, ModelMeters.Reading> out = new java.util.TreeMap<>();
        byRef.forEach((ref, m) -> out.merge(ref.name(), m.reading(), ModelMeters.Reading::plus));
        return out;
    }

    public void recordQueue(String model, int version, long nanos) {
        of(model, version).ifPresent(m -> m.queued(nanos));
    }

    /** One request's compute: reading its tensors, its batch's run, writing its answer. */
    public void recordCompute(String model, int version, long inputNanos, long inferNanos, long outputNanos) {
        of(model, version).ifPresent(m -> m.computed(inputNanos, inferNanos, outputNanos));
    }

    /** One ONNX Runtime run: its rows and the time of each phase for the whole batch. */
    public void recordExecution(String model, int version, long rows, long inputNanos, long inferNanos, long outputNanos) {
        of(model, version).ifPresent(m -> m.executed(rows, inputNanos, inferNanos, outputNanos));
    }

    /** The V2 statistics of one version; empty for a version not seen. */
    public java.util.Optional<InferenceStats> stats(String model, int version) {
        return java.util.Optional.ofNullable(byRef.get(new ModelRef(model, version))).map(ModelMeters::stats);
    }

    public void recordRejected(String model, int version) {
        recordInference(model, version, "rejected", 0);
    }

    public void recordWarmup(String model, int version, double seconds) {
        of(model, version).ifPresent(m -> m.warmedUp(seconds));
    }

    /** A copy of a call that {@code version} was to run as a shadow, not run because Kiln was busy. */
    public void shadowDropped(String model, int version) {
        of(model, version).ifPresent(m -> m.shadow().dropped());
    }

    /** A shadow run that failed (the primary's answer was not affected). */
    public void shadowFailed(String model, int version, long nanos) {
        of(model, version).ifPresent(m -> m.shadow().failed(nanos));
    }

    /** A shadow run whose outputs cannot be set against the primary's (other names, shapes or types). */
    public void shadowMismatched(String model, int version, long nanos) {
        of(model, version).ifPresent(m -> m.shadow().mismatched(nanos));
    }

    /** A shadow run compared with the primary's answer: the largest absolute difference and the cosine similarity (NaN: none). */
    public void shadowCompared(String model, int version, long nanos, double maxAbsDiff, double cosine) {
        of(model, version).ifPresent(m -> m.shadow().compared(nanos, maxAbsDiff, cosine));
    }

    /** The shadow runs of one version; empty when it never shadowed another. */
    public java.util.Optional<ShadowStats> shadowStats(String model, int version) {
        return java.util.Optional.ofNullable(byRef.get(new ModelRef(model, version))).map(ModelMeters::shadowIfAny)
                .map(ShadowMeters::stats);
    }

    void onLifecycle(@Observes ModelLifecycleEvent event) {
        ModelRef ref = new ModelRef(event.model(), event.version());
        switch (event.kind()) {
            case DISCOVERED -> register(ref, event.category());
            case LOADED -> register(ref, event.category()).loaded(event.seconds(), event.onDemand());
            case LOAD_FAILED -> register(ref, event.category()).loadFailed();
            case UNLOADED -> {
                ModelMeters m = byRef.get(ref);
                if (m != null && EVICTION_REASONS.contains(event.reason())) {
                    m.evicted(event.reason());
                }
            }
            case REMOVED -> {
                ModelMeters gone = byRef.remove(ref);
                if (gone != null) {
                    gone.remove();
                }
            }
            default -> {
            }
        }
    }

    /** Counts for one model, its versions together; zeros for a model that has not been seen. */
    public ModelMeters.Usage usage(String model) {
        ModelMeters.Usage total = ModelMeters.Usage.NONE;
        for (Map.Entry<ModelRef, ModelMeters> e : byRef.entrySet()) {
            if (e.getKey().name().equals(model)) {
                total = total.plus(e.getValue().usage());
            }
        }
        return total;
    }

    /** Counts for one version; zeros for a version that has not been seen. */
    public ModelMeters.Usage usage(String model, int version) {
        ModelMeters m = byRef.get(new ModelRef(model, version));
        return m != null ? m.usage() : ModelMeters.Usage.NONE;
    }

    /** What a version's requests say about it: the evidence a canary is judged on. */
    ModelMeters.Evidence evidence(String model, int version) {
        ModelMeters m = byRef.get(new ModelRef(model, version));
        return m != null ? m.evidence() : new ModelMeters.Evidence(0, 0, null, 0);
    }

    private java.util.Optional<ModelMeters> of(String model, int version) {
        ModelMeters m = byRef.get(new ModelRef(model, version));
        if (m != null) {
            return java.util.Optional.of(m);
        }
        return served.find(model, version).map(s -> register(s.entry().ref(), s.category()));
    }

    private ModelMeters register(ModelRef ref, String category) {
        return byRef.computeIfAbsent(ref, r -> {
            String name = r.name();
            int version = r.version();
            categoryGauge(category);
            ModelMeters m = new ModelMeters(meters, name, version, category);
            stateGauge(m, "ai.model.loaded", "1 when the model's version is loaded and ready", r, category, s -> s.loaded() ? 1 : 0);
            stateGauge(m, "ai.model.required", "1 when the model's version must stay loaded (enabled, not lazy)", r, category,
                    s -> !ServedModels.isComposite(s) && residency.mustBeResident(s) ? 1 : 0);
            stateGauge(m, "ai.model.failed", "1 when the last load of the model's version failed", r, category,
                    s -> s.state() == dev.kiln.registry.ModelState.FAILED ? 1 : 0);
            // A pipeline's own files and memory are its models': 0 here, so that sums over models count each once.
            m.own(Gauge.builder("ai.model.size", served, reg -> reg.find(name, version).map(s -> ServedModels.isComposite(s) ? 0.0
                            : (double) s.entry().sizeBytes()).orElse(Double.NaN))
                    .description("Size of the version's files").baseUnit("bytes")
                    .tags("model", name, "version", Integer.toString(version), "category", category).register(meters));
            m.own(Gauge.builder("ai.model.memory", served, reg -> reg.find(name, version)
                            .map(s -> s.loaded() && s.memoryMeasured() && !ServedModels.isComposite(s) ? (double) s.memoryBytes() : 0.0)
                            .orElse(Double.NaN))
                    .description("Resident memory the version's session took, measured at load and warm-up (0 when not loaded)")
                    .baseUnit("bytes").tags("model", name, "version", Integer.toString(version), "category", category).register(meters));
            return m;
        });
    }

    private void stateGauge(ModelMeters owner, String metric, String help, ModelRef ref, String category,
                            java.util.function.ToDoubleFunction<ModelStatus> value) {
        owner.own(Gauge.builder(metric, served, r -> r.find(ref.name(), ref.version()).map(value::applyAsDouble).orElse(Double.NaN))
                .description(help).tags("model", ref.name(), "version", Integer.toString(ref.version()), "category", category)
                .register(meters));
    }

    private void categoryGauge(String category) {
        if (categoryGauges.add(category)) {
            Gauge.builder("ai.models.loaded", registry, r -> r.list().stream()
                            .filter(s -> s.category().equals(category) && s.loaded()).map(ModelStatus::name).distinct().count())
                    .description("Loaded models per category (a model with any version loaded)").tag("category", category)
                    .register(meters);
        }
    }
}
