package dev.kiln.setup;

import dev.kiln.catalog.ModelRepository;
import dev.kiln.config.AiModelsConfig;
import dev.kiln.config.RuntimeSettings;
import dev.kiln.files.ReplicaId;
import dev.kiln.registry.ServedModels;
import dev.kiln.runtime.OnnxEngine;
import dev.kiln.setup.SetupRecords.ModelCounts;
import dev.kiln.setup.SetupRecords.Status;
import dev.kiln.warmup.StartupWarmup;
import dev.kiln.warmup.WarmupReport;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.Locale;

/** {@code GET /api/v1/setup/status}: what is running, since when, with which models and provider. */
@ApplicationScoped
public class StatusService {

    private final ServedModels served;
    private final ModelRepository repository;
    private final RuntimeSettings settings;
    private final AiModelsConfig config;
    private final StartupWarmup startup;
    private final OnnxEngine engine;
    private final String version;

    public StatusService(ServedModels served, ModelRepository repository, RuntimeSettings settings, AiModelsConfig config,
                         StartupWarmup startup, OnnxEngine engine,
                         @ConfigProperty(name = "quarkus.application.version", defaultValue = "dev") String version) {
        this.served = served;
        this.repository = repository;
        this.settings = settings;
        this.config = config;
        this.startup = startup;
        this.engine = engine;
        this.version = version;
    }

    public Status status() {
        long startMillis = ManagementFactory.getRuntimeMXBean().getStartTime();
        return new Status("kiln", version, Instant.ofEpochMilli(startMillis),
                (System.currentTimeMillis() - startMillis) / 1000, repository.root().toString(),
                settings.current().lazyLoad(), warmup(), ModelCounts.of(served.models()),
                engine.providerInUse(), engine.preferredProviders(), ReplicaId.get());
    }

    private SetupRecords.Warmup warmup() {
        WarmupReport last = startup.lastReport();
        return new SetupRecords.Warmup(startup.phase().name().toLowerCase(Locale.ROOT), config.warmup().onStartup(),
                last == null ? null : last.message(), last == null ? null : last.elapsedTimeSeconds());
    }
}
