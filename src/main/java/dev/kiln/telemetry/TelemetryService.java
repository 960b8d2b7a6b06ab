package dev.kiln.telemetry;

import dev.kiln.config.RuntimeSettings;
import dev.kiln.registry.MemoryBudget;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelStatus;
import dev.kiln.registry.ModelVersions;
import dev.kiln.registry.ResidencyPolicy;
import dev.kiln.registry.ServedModels;
import dev.kiln.routing.VersionRouter;
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
    private final VersionRouter router;

    public TelemetryService(ModelRegistry registry, ServedModels served, UsageTracker usage, MemoryBudget memory,
                            RuntimeSettings settings, ResidencyPolicy residency, VersionRouter router) {
        this.registry = registry;
        this.served = served;
        this.router = router;
        this.residency = residency;
        this.usage = usage;
        this.memory = memory;
        this.settings = settings;
    }

    public TelemetryView view() {
        List<ModelVersions> byModel = served.models();
        java.util.function.Predicate<ModelStatus> loadable = served.loadable(served.list(), memory, residency);
        Map<String, ModelTelemetry> models = new LinkedHashMap<>();
        int used = 0;
        int loaded = 0;
        for (ModelVersions m : byModel) {
            ModelStatus p = router.primary(m);
            ModelMeters.Usage u = usage.usage(m.name());
            used += u.usageCount() > 0 ? 1 : 0;
            loaded += m.served().stream().anyMatch(ModelStatus::loaded) ? 1 : 0;
            models.put(m.name(), new ModelTelemetry(p.category(), p.entry().manifest().provider(), p.loaded(),
                    loadable.test(p), p.entry().sizeGb(), u.usageCount(), millis(u.lastUsed()), p.state().name(), u.errorCount(),
                    u.coldStarts(), u.avgLatencyMs(), p.memoryBytes(), p.memoryMeasured(), p.version(), versions(m)));
        }
        Summary summary = new Summary(byModel.size(), loaded, used, byModel.size() - used);
        // Recommendations are about sessions: a pipeline's are its models'.
        return new TelemetryView(models, summary, Recommendations.of(registry.models(), usage::usage, usage::evidence,
                settings.current().telemetryIdleAfter(), clock.instant()));
    }

    private Map<String, TelemetryView.VersionTelemetry> versions(ModelVersions m) {
        Map<String, TelemetryView.VersionTelemetry> out = new LinkedHashMap<>();
        for (ModelStatus v : m.served()) {
            ModelMeters.Usage u = usage.usage(m.name(), v.version());
            ModelMeters.Evidence e = usage.evidence(m.name(), v.version());
            out.put(Integer.toString(v.version()), new TelemetryView.VersionTelemetry(v.state().name(), v.loaded(), u.usageCount(),
                    u.errorCount(), u.coldStarts(), u.avgLatencyMs(), e.p95Ms(), millis(u.lastUsed()), v.memoryBytes(),
                    m.manifest().routingOrNone().aliasesOf(v.version()), usage.shadowStats(m.name(), v.version()).orElse(null)));
        }
        return out;
    }

    private static java.time.Instant millis(java.time.Instant t) {
        return t == null ? null : t.truncatedTo(ChronoUnit.MILLIS);
    }
}
