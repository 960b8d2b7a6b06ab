package dev.kiln.telemetry;

import dev.kiln.catalog.Category;
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
 * The one bookkeeping of model use, kept in Micrometer meters. Inference reports every request;
 * the registry's lifecycle events report loads; warm-up reports its runs separately, so warm-up
 * is never counted as use.
 */
@ApplicationScoped
public class UsageTracker {

    private final MeterRegistry meters;
    private final ModelRegistry registry;
    private final ServedModels served;
    private final ResidencyPolicy residency;
    private final Map<String, ModelMeters> byModel = new ConcurrentHashMap<>();
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

    public void recordInference(String model, String outcome, long nanos) {
        of(model).ifPresent(m -> m.inference(outcome, nanos));
    }

    /** Which transport a request came by ({@code rest}, {@code grpc}), counted before it runs. */
    public void recordTransport(String model, String transport) {
        of(model).ifPresent(m -> m.transport(transport));
    }

    /** The latency readings of every model seen, for the recent history. */
    Map<String, ModelMeters.Reading> readings() {
        Map<String, ModelMeters.Reading> out = new java.util.TreeMap<>();
        byModel.forEach((name, m) -> out.put(name, m.reading()));
        return out;
    }

    public void recordQueue(String model, long nanos) {
        of(model).ifPresent(m -> m.queued(nanos));
    }

    /** One request's compute: reading its tensors, its batch's run, writing its answer. */
    public void recordCompute(String model, long inputNanos, long inferNanos, long outputNanos) {
        of(model).ifPresent(m -> m.computed(inputNanos, inferNanos, outputNanos));
    }

    /** One ONNX Runtime run: its rows and the time of each phase for the whole batch. */
    public void recordExecution(String model, long rows, long inputNanos, long inferNanos, long outputNanos) {
        of(model).ifPresent(m -> m.executed(rows, inputNanos, inferNanos, outputNanos));
    }

    /** The V2 statistics of one model; empty for a model not seen. */
    public java.util.Optional<InferenceStats> stats(String model) {
        return java.util.Optional.ofNullable(byModel.get(model)).map(ModelMeters::stats);
    }

    public void recordRejected(String model) {
        recordInference(model, "rejected", 0);
    }

    public void recordWarmup(String model, double seconds) {
        of(model).ifPresent(m -> m.warmedUp(seconds));
    }

    void onLifecycle(@Observes ModelLifecycleEvent event) {
        switch (event.kind()) {
            case DISCOVERED -> register(event.model(), event.category());
            case LOADED -> register(event.model(), event.category()).loaded(event.seconds(), event.onDemand());
            case LOAD_FAILED -> register(event.model(), event.category()).loadFailed();
            case UNLOADED -> {
                ModelMeters m = byModel.get(event.model());
                if (m != null && EVICTION_REASONS.contains(event.reason())) {
                    m.evicted(event.reason());
                }
            }
            case REMOVED -> {
                ModelMeters gone = byModel.remove(event.model());
                if (gone != null) {
                    gone.remove();
                }
            }
            default -> {
            }
        }
    }

    /** Counts for one model; zeros for a model that has not been seen. */
    public ModelMeters.Usage usage(String model) {
        ModelMeters m = byModel.get(model);
        return m != null ? m.usage() : new ModelMeters.Usage(0, 0, 0, null, null);
    }

    private java.util.Optional<ModelMeters> of(String model) {
        ModelMeters m = byModel.get(model);
        if (m != null) {
            return java.util.Optional.of(m);
        }
        return served.find(model).map(s -> register(s.name(), s.category()));
    }

    private ModelMeters register(String model, String category) {
        return byModel.computeIfAbsent(model, name -> {
            categoryGauge(category);
            ModelMeters m = new ModelMeters(meters, name, category);
            stateGauge(m, "ai.model.loaded", "1 when the model is loaded and ready", name, category, s -> s.loaded() ? 1 : 0);
            stateGauge(m, "ai.model.required", "1 when the model must stay loaded (enabled, not lazy)", name, category,
                    s -> !ServedModels.isComposite(s) && residency.mustBeResident(s) ? 1 : 0);
            stateGauge(m, "ai.model.failed", "1 when the model's last load failed", name, category,
                    s -> s.state() == dev.kiln.registry.ModelState.FAILED ? 1 : 0);
            // A pipeline's own files and memory are its models': 0 here, so that sums over models count each once.
            m.own(Gauge.builder("ai.model.size", served, r -> r.find(name).map(s -> ServedModels.isComposite(s) ? 0.0
                            : (double) s.entry().sizeBytes()).orElse(Double.NaN))
                    .description("Size of the model's files").baseUnit("bytes")
                    .tags("model", name, "category", category).register(meters));
            m.own(Gauge.builder("ai.model.memory", served, r -> r.find(name)
                            .map(s -> s.loaded() && s.memoryMeasured() && !ServedModels.isComposite(s) ? (double) s.memoryBytes() : 0.0)
                            .orElse(Double.NaN))
                    .description("Resident memory the model's session took, measured at load and warm-up (0 when not loaded)")
                    .baseUnit("bytes").tags("model", name, "category", category).register(meters));
            return m;
        });
    }

    private void stateGauge(ModelMeters owner, String metric, String help, String model, String category,
                            java.util.function.ToDoubleFunction<ModelStatus> value) {
        owner.own(Gauge.builder(metric, served, r -> r.find(model).map(value::applyAsDouble).orElse(Double.NaN))
                .description(help).tags("model", model, "category", category).register(meters));
    }

    private void categoryGauge(String category) {
        if (categoryGauges.add(category)) {
            Gauge.builder("ai.models.loaded", registry, r -> r.list().stream()
                            .filter(s -> s.category().equals(category) && s.loaded()).count())
                    .description("Loaded models per category").tag("category", category).register(meters);
        }
    }
}
