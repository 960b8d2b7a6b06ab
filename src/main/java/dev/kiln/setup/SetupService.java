package dev.kiln.setup;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kiln.catalog.ModelRepository;
import dev.kiln.catalog.ReplicaId;
import dev.kiln.config.AiModelsConfig;
import dev.kiln.config.RuntimeSettings;
import dev.kiln.config.SettingsUpdate;
import dev.kiln.config.SettingsValues;
import dev.kiln.errors.KilnError;
import dev.kiln.health.DependencyHealth;
import dev.kiln.inference.InferenceService;
import dev.kiln.registry.MemoryBudget;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelState;
import dev.kiln.registry.ModelStatus;
import dev.kiln.registry.ResidencyPolicy;
import dev.kiln.runtime.ExecutionProviders;
import dev.kiln.runtime.OnnxEngine;
import dev.kiln.runtime.ProviderVerdict;
import dev.kiln.runtime.TinyOnnx;
import dev.kiln.setup.SetupViews.EffectiveConfig;
import dev.kiln.setup.SetupViews.EngineInstalled;
import dev.kiln.setup.SetupViews.Engines;
import dev.kiln.setup.SetupViews.InstalledModel;
import dev.kiln.setup.SetupViews.ModelCounts;
import dev.kiln.setup.SetupViews.ModelsStatus;
import dev.kiln.setup.SetupViews.Status;
import dev.kiln.setup.SetupViews.Template;
import dev.kiln.warmup.StartupWarmup;
import dev.kiln.warmup.Warmup;
import dev.kiln.warmup.WarmupReport;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The setup endpoints' logic: status, runtime settings, the template, engines and models status. */
@ApplicationScoped
public class SetupService {

    static final Map<String, String> ENGINES = Map.of("onnxruntime-cpu", ExecutionProviders.CPU,
            "onnxruntime-cuda", ExecutionProviders.CUDA, "onnxruntime-tensorrt", ExecutionProviders.TENSORRT);

    private final ModelRegistry registry;
    private final ModelRepository repository;
    private final RuntimeSettings settings;
    private final AiModelsConfig config;
    private final StartupWarmup startup;
    private final Warmup warmup;
    private final OnnxEngine engine;
    private final ExecutionProviders providers;
    private final DependencyHealth health;
    private final MemoryBudget memory;
    private final ResidencyPolicy residency;
    private final InferenceService inference;
    private final String version;
    /** The template only changes with the runtime settings (the rest is fixed at startup). */
    private volatile CachedTemplate template;

    private record CachedTemplate(SettingsValues values, Template template) {
    }

    public SetupService(ModelRegistry registry, ModelRepository repository, RuntimeSettings settings, AiModelsConfig config,
                        StartupWarmup startup, Warmup warmup, OnnxEngine engine, ExecutionProviders providers,
                        DependencyHealth health, MemoryBudget memory, ResidencyPolicy residency, InferenceService inference,
                        @ConfigProperty(name = "quarkus.application.version", defaultValue = "dev") String version) {
        this.registry = registry;
        this.repository = repository;
        this.settings = settings;
        this.config = config;
        this.startup = startup;
        this.warmup = warmup;
        this.engine = engine;
        this.providers = providers;
        this.health = health;
        this.memory = memory;
        this.residency = residency;
        this.inference = inference;
        this.version = version;
    }

    public Status status() {
        List<ModelStatus> models = registry.list();
        WarmupReport last = startup.lastReport();
        long startMillis = ManagementFactory.getRuntimeMXBean().getStartTime();
        return new Status("kiln", version, Instant.ofEpochMilli(startMillis),
                (System.currentTimeMillis() - startMillis) / 1000, repository.root().toString(),
                settings.current().lazyLoad(),
                new SetupViews.Warmup(startup.phase().name().toLowerCase(java.util.Locale.ROOT), config.warmup().onStartup(),
                        last == null ? null : last.message(), last == null ? null : last.elapsedTimeSeconds()),
                new ModelCounts(models.size(), count(models, ModelState.READY), count(models, ModelState.FAILED),
                        count(models, ModelState.DISABLED)),
                executionProviderInUse(), engine.preferredProviders(), ReplicaId.get());
    }

    /** The first preferred provider that is usable, as already probed; never probes from here. */
    private String executionProviderInUse() {
        for (String p : engine.preferredProviders()) {
            ProviderVerdict v = providers.cachedVerdict(p);
            if (ExecutionProviders.CPU.equals(p) || v != null && v.usable()) {
                return p;
            }
        }
        return ExecutionProviders.CPU;
    }

    /** Applies and persists new settings. Turning lazy loading off warms the lazy models first, so readiness never drops. */
    public EffectiveConfig applyConfig(SettingsUpdate update) {
        if (update != null && Boolean.FALSE.equals(update.lazyLoad()) && settings.current().lazyLoad()) {
            warmup.warmUp(true);
        }
        return effective(settings.apply(update));
    }

    public EffectiveConfig effectiveConfig() {
        return effective(settings.current());
    }

    private EffectiveConfig effective(SettingsValues v) {
        return new EffectiveConfig(v.lazyLoad(), v.warmupIterations(), RuntimeSettings.format(v.telemetryIdleAfter()),
                settings.file().toString());
    }

    public Template template() {
        SettingsValues now = settings.current();
        CachedTemplate cached = template;
        if (cached == null || cached.values() != now) {
            cached = new CachedTemplate(now, new Template(SettingsCatalog.settings(new SettingsCatalog.Sources(config, now))));
            template = cached;
        }
        return cached.template();
    }

    public String dotEnv() {
        return SettingsCatalog.dotEnv(template().settings());
    }

    public Engines engines() {
        return new Engines(health.engines(), engine.preferredProviders());
    }

    /**
     * Proves the provider starts a real session on a tiny built-in model, then prefers it for new
     * loads. 424 naming what is missing when it cannot; never pretends.
     */
    public EngineInstalled installEngine(String engineName) {
        String provider = ENGINES.get(engineName);
        if (provider == null) {
            throw KilnError.invalid("unknown engine '" + engineName + "': use one of " + ENGINES.keySet().stream().sorted().toList());
        }
        if (!ExecutionProviders.CPU.equals(provider)) {
            providers.forget(provider);
            ProviderVerdict verdict = providers.verdict(provider);
            if (!verdict.usable()) {
                throw KilnError.dependencyMissing(engineName + " cannot run here: " + verdict.reason() + missing(provider));
            }
        }
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            if (ExecutionProviders.CUDA.equals(provider)) {
                options.addCUDA(0);
            } else if (ExecutionProviders.TENSORRT.equals(provider)) {
                options.addTensorrt(0);
            }
            try (OrtSession ignored = engine.environment().createSession(TinyOnnx.identity(TinyOnnx.FLOAT, 1), options)) {
                engine.preferProvider(provider);
                return new EngineInstalled(engineName, "installed",
                        "a session on a built-in test model started with " + provider + "; new loads prefer it",
                        engine.preferredProviders());
            }
        } catch (OrtException e) {
            throw KilnError.dependencyMissing(engineName + " failed to start a session: " + e.getMessage() + missing(provider));
        }
    }

    private String missing(String provider) {
        if (ExecutionProviders.CPU.equals(provider)) {
            return "";
        }
        List<String> libs = health.missingLibraries(provider);
        return libs.isEmpty() ? "" : "; missing libraries: " + String.join(", ", libs);
    }

    /** Resident models (and those on their way in or out), with what they take and when they may go. */
    public SetupViews.Loaded loaded() {
        List<SetupViews.LoadedModel> models = registry.list().stream()
                .filter(m -> m.state() == ModelState.READY || m.state() == ModelState.LOADING || m.state() == ModelState.UNLOADING)
                .map(m -> new SetupViews.LoadedModel(m.name(), m.category(), m.state().name(), m.memoryBytes(), m.memoryMeasured(),
                        m.executionProvider(), m.loadedAt(), m.lastUsed(), m.expiresAt(),
                        m.keepAlive() == null ? null : RuntimeSettings.format(m.keepAlive()), m.inFlight(), m.pinned(),
                        residency.mustBeResident(m)))
                .toList();
        return new SetupViews.Loaded(memory.budgetBytes(), memory.source(), memory.used(), memory.free(),
                memory.maxLoadedModels().isPresent() ? memory.maxLoadedModels().getAsInt() : null, registry.openSessions(), models,
                ReplicaId.get());
    }

    public ModelsStatus rescan() {
        registry.rescan();
        return modelsStatus();
    }

    public ModelsStatus modelsStatus() {
        List<ModelStatus> all = registry.list();
        java.util.function.Predicate<ModelStatus> loadable = memory.loadable(all, residency);
        List<InstalledModel> installed = all.stream().map(m -> new InstalledModel(m.name(), m.category(),
                m.entry().manifest().provider(), m.loaded(), loadable.test(m), m.entry().manifest().isLazy(),
                m.entry().sizeGb(), m.entry().manifest().inferenceEngine(), m.state().name(),
                m.state() != ModelState.DISABLED, m.loaded() ? m.executionProvider() : null, m.providerFallbacks(),
                m.reason(), m.entry().manifest().description(), m.inFlight(), m.loadCount(), m.memoryBytes(),
                m.memoryMeasured(), inference.batching(m))).toList();
        return new ModelsStatus(count(all, ModelState.READY), all.size(), installed);
    }

    private static int count(List<ModelStatus> models, ModelState state) {
        return (int) models.stream().filter(m -> m.state() == state).count();
    }
}
