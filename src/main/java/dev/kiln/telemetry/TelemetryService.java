package dev.kiln.telemetry;

import dev.kiln.config.RuntimeSettings;
import dev.kiln.registry.MemoryBudget;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelStatus;
import dev.kiln.registry.ResidencyPolicy;
import dev.kiln.registry.ServedModels;
import dev.kiln.telemetry.TelemetryView.ModelTelemetry;
import dev.kiln.telemetry.TelemetryView.Summary;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds the telemetry view from the registry's state and the meters; in memory, no I/O. */
@ApplicationScoped
public class TelemetryService {

    private final ModelRegistry registry;
    private final ServedModels served;
    private final UsageTracker usage;
    private final MemoryBudget memory;
    private final RuntimeSettings settings;
    private final Clock clock = Clock.systemUTC();

    private final ResidencyPolicy residency;

    public TelemetryService(ModelRegistry registry, ServedModels served, UsageTracker usage, MemoryBudget memory, RuntimeSettings settings,
                            ResidencyPolicy residency) {
        this.registry = registry;
        this.served = served;
        this.residency = residency;
        this.usage = usage;
        this.memory = memory;
        this.settings = settings;
    }

    public TelemetryView view() {
        List<ModelStatus> all = served.list();
        java.util.function.Predicate<ModelStatus> loadable = served.loadable(all, memory, residency);
        Map<String, ModelTelemetry> models = new LinkedHashMap<>();
        int used = 0;
        for (ModelStatus m : all) {
            ModelMeters.Usage u = usage.usage(m.name());
            if (u.usageCount() > 0) {
                used++;
            }
            models.put(m.name(), new ModelTelemetry(m.category(), m.entry().manifest().provider(), m.loaded(),
                    loadable.test(m), m.entry().sizeGb(), u.usageCount(),
                    u.lastUsed() == null ? null : u.lastUsed().truncatedTo(ChronoUnit.MILLIS),
                    m.state().name(), u.errorCount(), u.coldStarts(), u.avgLatencyMs(), m.memoryBytes(), m.memoryMeasured()));
        }
        int loaded = (int) all.stream().filter(ModelStatus::loaded).count();
        Summary summary = new Summary(all.size(), loaded, used, all.size() - used);
        // Recommendations are about sessions: a pipeline's are its models'.
        return new TelemetryView(models, summary, Recommendations.of(registry.list(), usage::usage,
                settings.current().telemetryIdleAfter(), clock.instant()));
    }
}
