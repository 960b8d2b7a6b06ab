package dev.kiln.fleet;

import dev.kiln.inference.InferenceService;
import dev.kiln.registry.ModelLifecycleEvent;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The signal to scale replicas on: requests waiting in a model's queue for a worker, and requests
 * in flight (holding a lease: waiting or running), per model and in total. CPU lags behind a queue
 * and says nothing on a GPU; a queue that grows says this replica is saturated. Readiness does not
 * follow them: a replica that queues still serves, and more replicas, not refusals, answer load.
 */
@ApplicationScoped
public class ScalingGauges {

    private final MeterRegistry meters;
    private final ModelRegistry registry;
    private final InferenceService inference;
    private final Map<String, List<Meter>> perModel = new ConcurrentHashMap<>();

    public ScalingGauges(MeterRegistry meters, ModelRegistry registry, InferenceService inference) {
        this.meters = meters;
        this.registry = registry;
        this.inference = inference;
        Gauge.builder("ai.models.requests.waiting", this, g -> g.total(true))
                .description("Inference requests waiting in a model queue for a worker, all models (the scaling signal)")
                .register(meters);
        Gauge.builder("ai.models.requests.in.flight", this, g -> g.total(false))
                .description("Inference requests holding a model: waiting in a queue or running, all models")
                .register(meters);
        registry.list().forEach(m -> add(m.name()));
    }

    /** Registers the totals at startup, whatever the repository holds. */
    void onStart(@Observes io.quarkus.runtime.StartupEvent ev) {
        // The constructor did the work.
    }

    void onLifecycle(@Observes ModelLifecycleEvent event) {
        switch (event.kind()) {
            case DISCOVERED, LOADED -> add(event.model());
            case REMOVED -> {
                List<Meter> gone = perModel.remove(event.model());
                if (gone != null) {
                    gone.forEach(meters::remove);
                }
            }
            default -> {
            }
        }
    }

    private void add(String model) {
        perModel.computeIfAbsent(model, name -> List.of(
                Gauge.builder("ai.model.requests.waiting", inference, s -> s.waiting(name))
                        .description("Inference requests waiting in the model's queue for a worker").tag("model", name)
                        .register(meters),
                Gauge.builder("ai.model.requests.in.flight", registry,
                                r -> r.find(name).map(s -> (double) s.inFlight()).orElse(0.0))
                        .description("Inference requests holding the model: waiting in its queue or running").tag("model", name)
                        .register(meters)));
    }

    private double total(boolean waiting) {
        double sum = 0;
        for (ModelStatus m : registry.list()) {
            sum += waiting ? inference.waiting(m.name()) : m.inFlight();
        }
        return sum;
    }
}
