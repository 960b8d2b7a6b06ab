package dev.kiln.telemetry;

import dev.kiln.registry.ModelLifecycleEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one bookkeeping of model use. Inference reports each request here; the registry's lifecycle
 * events report loads. Warm-up runs never come here, so they are never counted as use.
 */
@ApplicationScoped
public class UsageTracker {

    private final Map<String, ModelUsage> usage = new ConcurrentHashMap<>();

    public void recordInference(String model, String outcome, long nanos) {
        ModelUsage u = of(model);
        if ("success".equals(outcome)) {
            u.served(nanos, Instant.now());
        } else {
            u.failed();
        }
    }

    public void recordRejected(String model) {
        of(model).rejected();
    }

    void onLifecycle(@Observes ModelLifecycleEvent event) {
        switch (event.kind()) {
            case LOADED -> {
                if (event.onDemand()) {
                    of(event.model()).coldStart();
                }
            }
            case REMOVED -> usage.remove(event.model());
            default -> {
            }
        }
    }

    public ModelUsage.Snapshot snapshot(String model) {
        return of(model).snapshot();
    }

    private ModelUsage of(String model) {
        return usage.computeIfAbsent(model, m -> new ModelUsage());
    }
}
