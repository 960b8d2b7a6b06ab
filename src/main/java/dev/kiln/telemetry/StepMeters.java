package dev.kiln.telemetry;

import dev.kiln.registry.ModelLifecycleEvent;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The steps of each pipeline, in Micrometer: the time each step took per request
 * ({@code ai_model_pipeline_step_duration_seconds{model,step}}, a model step's queue included) and
 * the rows it handled ({@code ai_model_pipeline_step_rows{model,step}}: boxes found, lines read,
 * a model run's batch). The pipeline as a whole is counted like a model, in {@link UsageTracker}.
 */
@ApplicationScoped
public class StepMeters {

    private static final Duration[] BUCKETS = {ms(1), ms(5), ms(10), ms(25), ms(50), ms(100), ms(250), ms(500), ms(1000), ms(2500),
            ms(5000), ms(10000)};

    /** One step's use so far: runs, mean milliseconds, mean rows. */
    public record Use(long runs, double meanMs, double meanRows) {
    }

    private record Meters(Timer time, DistributionSummary rows) {
    }

    private final MeterRegistry registry;
    /** By pipeline, then by step in the order first seen. */
    private final Map<String, Map<String, Meters>> pipelines = new ConcurrentHashMap<>();

    public StepMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    public void record(String pipeline, String step, long nanos, long rows) {
        Meters m = pipelines.computeIfAbsent(pipeline, p -> java.util.Collections.synchronizedMap(new LinkedHashMap<>()))
                .computeIfAbsent(step, s -> meters(pipeline, s));
        m.time().record(nanos, TimeUnit.NANOSECONDS);
        m.rows().record(rows);
    }

    /** The use of each step of the pipeline that has run at least once. */
    public Map<String, Use> use(String pipeline) {
        Map<String, Use> out = new LinkedHashMap<>();
        Map<String, Meters> steps = pipelines.get(pipeline);
        if (steps != null) {
            synchronized (steps) {
                steps.forEach((step, m) -> out.put(step, new Use(m.time().count(), m.time().mean(TimeUnit.MILLISECONDS), m.rows().mean())));
            }
        }
        return out;
    }

    void onLifecycle(@Observes ModelLifecycleEvent event) {
        if (event.kind() == ModelLifecycleEvent.Kind.REMOVED) {
            Map<String, Meters> gone = pipelines.remove(event.model());
            if (gone != null) {
                synchronized (gone) {
                    gone.values().forEach(m -> {
                        registry.remove(m.time());
                        registry.remove(m.rows());
                    });
                }
            }
        }
    }

    private Meters meters(String pipeline, String step) {
        return new Meters(Timer.builder("ai.model.pipeline.step.duration")
                .description("Time of one step of a pipeline per request (a model step's wait in its model's queue included)")
                .tags("model", pipeline, "step", step).serviceLevelObjectives(BUCKETS).register(registry),
                DistributionSummary.builder("ai.model.pipeline.step.rows")
                        .description("Rows one step of a pipeline handled per request (boxes found, lines read, rows of a model run)")
                        .tags("model", pipeline, "step", step).serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128).register(registry));
    }

    private static Duration ms(long n) {
        return Duration.ofMillis(n);
    }
}
