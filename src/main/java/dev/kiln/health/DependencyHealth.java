package dev.kiln.health;

import dev.kiln.catalog.Category;
import dev.kiln.catalog.ModelRepository;
import dev.kiln.config.AiModelsConfig;
import dev.kiln.config.RuntimeSettings;
import dev.kiln.config.SettingsValues;
import dev.kiln.files.LockFile;
import dev.kiln.files.RepositoryLocks;
import dev.kiln.health.HealthReport.CategoryStatus;
import dev.kiln.health.HealthReport.Dependency;
import dev.kiln.health.HealthReport.EngineStatus;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelState;
import dev.kiln.registry.ModelStatus;
import dev.kiln.registry.ResidencyPolicy;
import dev.kiln.registry.ServedModels;
import dev.kiln.runtime.ExecutionProviders;
import dev.kiln.runtime.GpuPresence;
import dev.kiln.runtime.OnnxEngine;
import dev.kiln.runtime.ProviderVerdict;
import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks what Kiln depends on. Expensive facts (library search, provider probes, ONNX Runtime's
 * native load) are found once. The whole report is kept until a model changes state, the settings
 * change, or it is {@link #DISK_REFRESH} old (free disk space moves without telling anyone): the API
 * description's own pattern asks for it before every content request, so it must cost no more than
 * a trivial endpoint.
 */
@ApplicationScoped
public class DependencyHealth {

    static final List<String> CUDA_LIBS = List.of("libcudart.so.12", "libcublas.so.12", "libcublasLt.so.12",
            "libcurand.so.10", "libcufft.so.11");
    static final List<String> CUDNN_LIBS = List.of("libcudnn.so.9");
    static final List<String> TENSORRT_LIBS = List.of("libnvinfer.so.10", "libnvinfer_plugin.so.10", "libnvonnxparser.so.10");
    static final String DRIVER_VERSION = "/proc/driver/nvidia/version";
    private static final Logger LOG = Logger.getLogger(DependencyHealth.class);

    private final OnnxEngine engine;
    private final ExecutionProviders providers;
    private final ModelRegistry registry;
    private final ServedModels served;
    private final ModelRepository repository;
    private final ResidencyPolicy residency;
    private final AiModelsConfig config;
    private volatile Map<String, Dependency> staticDeps;
    private volatile String ortVersion;
    private volatile String ortError;
    private final RuntimeSettings settings;
    private volatile Cached cached;

    static final Duration DISK_REFRESH = Duration.ofSeconds(2);

    private record Cached(long revision, SettingsValues settings, long builtAtNanos, HealthReport report) {

        boolean validFor(long revision, SettingsValues settings, long now) {
            return this.revision == revision && this.settings == settings && now - builtAtNanos < DISK_REFRESH.toNanos();
        }
    }

    public DependencyHealth(OnnxEngine engine, ExecutionProviders providers, ModelRegistry registry, ServedModels served,
                            ModelRepository repository, ResidencyPolicy residency, AiModelsConfig config,
                            RuntimeSettings settings) {
        this.served = served;
        this.settings = settings;
        this.engine = engine;
        this.providers = providers;
        this.registry = registry;
        this.repository = repository;
        this.residency = residency;
        this.config = config;
    }

    public HealthReport check() {
        // Read the versions before building: a change during the build makes the next call rebuild.
        long revision = served.revision();
        SettingsValues values = settings.current();
        long now = System.nanoTime();
        Cached c = cached;
        if (c != null && c.validFor(revision, values, now)) {
            return c.report();
        }
        HealthReport report = build();
        cached = new Cached(revision, values, now, report);
        return report;
    }

    private HealthReport build() {
        List<String> issues = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Map<String, Dependency> deps = new LinkedHashMap<>(staticDependencies());
        if (ortVersion == null) {
            issues.add("ONNX Runtime cannot be loaded: " + ortError);
        }
        Dependency repo = repositoryDependency(issues, warnings);
        deps.put("model-repository", repo);
        List<ModelStatus> models = registry.list();
        List<ModelStatus> served = this.served.list();
        Map<String, EngineStatus> engines = engines();
        modelProblems(models, issues, warnings);
        pipelineProblems(served, warnings);
        gpuWarnings(models, warnings);
        String overall = !issues.isEmpty() ? "unhealthy" : !warnings.isEmpty() ? "degraded" : "healthy";
        return new HealthReport(overall, deps, engines, categories(served), issues, warnings);
    }

    /** Engine view, shared with {@code GET /api/v1/setup/inference-engines/status}. */
    public Map<String, EngineStatus> engines() {
        staticDependencies();
        Map<String, EngineStatus> out = new LinkedHashMap<>();
        List<String> preferred = engine.preferredProviders();
        out.put("onnxruntime-cpu", ortVersion == null
                ? new EngineStatus("error", null, ortError, List.of(), true)
                : new EngineStatus("installed", ortVersion, null,
                List.of("cpu (" + Runtime.getRuntime().availableProcessors() + " cores)"), true));
        out.put("onnxruntime-cuda", provider(ExecutionProviders.CUDA, preferred));
        out.put("onnxruntime-tensorrt", provider(ExecutionProviders.TENSORRT, preferred));
        return out;
    }

    private EngineStatus provider(String name, List<String> preferred) {
        if (ortVersion == null) {
            return new EngineStatus("error", null, ortError, List.of(), preferred.contains(name));
        }
        ProviderVerdict v = providers.verdict(name);
        return new EngineStatus(v.usable() ? "installed" : "unavailable", ortVersion, v.reason(),
                v.usable() ? gpuDevices() : List.of(), preferred.contains(name));
    }

    /** Missing GPU libraries by provider, for the engine install check to name exactly. */
    public List<String> missingLibraries(String provider) {
        NativeLibraries libs = new NativeLibraries();
        List<String> missing = new ArrayList<>(libs.missing(CUDA_LIBS));
        missing.addAll(libs.missing(CUDNN_LIBS));
        if (ExecutionProviders.TENSORRT.equals(provider)) {
            missing.addAll(libs.missing(TENSORRT_LIBS));
        }
        return missing;
    }

    private Map<String, Dependency> staticDependencies() {
        Map<String, Dependency> d = staticDeps;
        if (d != null) {
            return d;
        }
        synchronized (this) {
            if (staticDeps == null) {
                staticDeps = findStaticDependencies();
            }
            return staticDeps;
        }
    }

    private Map<String, Dependency> findStaticDependencies() {
        Map<String, Dependency> d = new LinkedHashMap<>();
        d.put("java", Dependency.of("installed", Runtime.version().toString(), "runtime",
                System.getProperty("java.vendor") + ", " + System.getProperty("os.arch")));
        d.put("quarkus", Dependency.of("installed", BuildInfo.get("quarkus.version"), "runtime", null));
        try {
            ortVersion = engine.version();
            d.put("onnxruntime", Dependency.of("installed", ortVersion, "ml",
                    "native library loaded (" + BuildInfo.get("onnxruntime.artifact") + " " + BuildInfo.get("onnxruntime.version")
                            + "); built with providers " + providers.builtIn()));
        } catch (RuntimeException | LinkageError e) {
            ortError = e.getMessage() != null ? e.getMessage() : e.getClass().getName();
            d.put("onnxruntime", Dependency.of("error", BuildInfo.get("onnxruntime.version"), "ml", ortError));
        }
        NativeLibraries libs = new NativeLibraries();
        d.put("cuda", libraries(libs, CUDA_LIBS, "libcudart.so.12"));
        d.put("cudnn", libraries(libs, CUDNN_LIBS, "libcudnn.so.9"));
        d.put("tensorrt", libraries(libs, TENSORRT_LIBS, "libnvinfer.so.10"));
        d.put("nvidia-driver", driver(libs));
        return java.util.Collections.unmodifiableMap(d);
    }

    private static Dependency libraries(NativeLibraries libs, List<String> needed, String versioned) {
        List<String> missing = libs.missing(needed);
        if (missing.isEmpty()) {
            return Dependency.of("installed", libs.version(versioned).orElse(null), "gpu", "found " + needed);
        }
        LOG.infof("GPU libraries not found: %s (searched %s)", missing, libs.searched());
        return Dependency.of("missing", null, "gpu", "not found: " + String.join(", ", missing)
                + " (searched LD_LIBRARY_PATH and the usual CUDA and system library directories; the log lists them)");
    }

    private static Dependency driver(NativeLibraries libs) {
        Path version = Path.of(DRIVER_VERSION);
        Optional<Path> libcuda = libs.find("libcuda.so.1");
        if (Files.isReadable(version)) {
            try {
                String first = Files.readAllLines(version).stream().findFirst().orElse("");
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+\\.\\d+(\\.\\d+)?)").matcher(first);
                return Dependency.of("installed", m.find() ? m.group(1) : null, "gpu",
                        libcuda.isPresent() ? first.trim() : first.trim() + "; but libcuda.so.1 is not found");
            } catch (IOException e) {
                LOG.warnf("cannot read %s: %s", DRIVER_VERSION, e.getMessage());
                return Dependency.of("error", null, "gpu", "the NVIDIA driver's version cannot be read (the log says why)");
            }
        }
        return Dependency.of("missing", null, "gpu", "no NVIDIA kernel driver is loaded"
                + (libcuda.isPresent() ? " (though libcuda.so.1 is installed)" : " and libcuda.so.1 is not found"));
    }

    private Dependency repositoryDependency(List<String> issues, List<String> warnings) {
        Path root = repository.root();
        boolean readable = Files.isDirectory(root) && Files.isReadable(root);
        boolean writable = readable && Files.isWritable(root);
        Long free = null;
        try {
            free = readable ? Files.getFileStore(root).getUsableSpace() : null;
        } catch (IOException e) {
            warnings.add("cannot read free space of " + root + ": " + e.getMessage());
        }
        if (!readable) {
            issues.add("model repository " + root + " is missing or unreadable");
        } else if (!writable) {
            warnings.add("model repository " + root + " is read-only: settings, installs and manifests cannot be saved");
        }
        if (writable) {
            warnings.addAll(lockProblems(root));
        }
        if (free != null && free < config.health().minFreeDiskBytes()) {
            warnings.add("low disk space in " + root + ": " + free / (1024 * 1024) + " MiB free, below "
                    + config.health().minFreeDiskBytes() / (1024 * 1024) + " MiB");
        }
        String status = readable ? "installed" : Files.exists(root) ? "error" : "missing";
        return new Dependency(status, null, "storage", null, root.toString(), readable, writable, free);
    }

    /**
     * Each lock file of this writable repository that could not be made in the last ten minutes (and
     * not since): changes it guards are refused (a read-only repository has nothing to coordinate).
     */
    private static List<String> lockProblems(Path root) {
        return LockFile.failures().stream()
                .filter(f -> f.path().startsWith(root) && f.at().isAfter(java.time.Instant.now().minus(java.time.Duration.ofMinutes(10))))
                .map(f -> "cannot make lock file " + f.path() + " (" + f.message() + "): changes of that name (or of the settings)"
                        + " are refused and what a dead writer left is not swept; every replica must be able to write "
                        + root.resolve(RepositoryLocks.DIRECTORY) + " (one user, or one group: fsGroup)")
                .toList();
    }

    private void modelProblems(List<ModelStatus> models, List<String> issues, List<String> warnings) {
        for (ModelStatus m : models) {
            if (m.state() == ModelState.READY && m.reason() != null) {
                warnings.add("model " + m.entry().ref().label() + " " + m.reason());
                continue;
            }
            if (m.state() != ModelState.FAILED) {
                continue;
            }
            boolean required = !(residency.lazyLoad() && m.entry().manifest().isLazy());
            if (required) {
                issues.add("model " + m.entry().ref().label() + " must be resident but failed: " + m.reason());
            } else {
                warnings.add("model " + m.entry().ref().label() + " failed: " + m.reason());
            }
        }
    }

    /** A pipeline that cannot run is a warning: readiness is about the models, which report their own failures. */
    private static void pipelineProblems(List<ModelStatus> served, List<String> warnings) {
        served.stream().filter(ServedModels::isComposite).filter(p -> p.state() == ModelState.FAILED)
                .forEach(p -> warnings.add("pipeline '" + p.name() + "' cannot run: " + p.reason()));
    }

    /** GPU asked for and present, yet models run on CPU: that is a misconfigured node, worth a warning. */
    private void gpuWarnings(List<ModelStatus> models, List<String> warnings) {
        List<String> preferred = engine.preferredProviders();
        boolean gpuAsked = preferred.contains(ExecutionProviders.CUDA) || preferred.contains(ExecutionProviders.TENSORRT);
        GpuPresence gpu = providers.gpu();
        if (!gpuAsked || !gpu.plausible()) {
            return;
        }
        List<String> onCpu = models.stream().filter(ModelStatus::loaded)
                .filter(m -> ExecutionProviders.CPU.equals(m.executionProvider())).map(ModelStatus::name).toList();
        if (!onCpu.isEmpty()) {
            ProviderVerdict cuda = providers.verdict(ExecutionProviders.CUDA);
            warnings.add("GPU asked for and present (" + String.join(", ", gpu.evidence()) + ") but " + onCpu
                    + " run on CPU" + (cuda.usable() ? "" : ": cuda: " + cuda.reason()));
        }
    }

    private static Map<String, CategoryStatus> categories(List<ModelStatus> models) {
        Map<String, CategoryStatus> out = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(Category.STANDARD);
        models.stream().map(ModelStatus::category).filter(c -> !names.contains(c)).distinct().sorted().forEach(names::add);
        for (String c : names) {
            // Counted per model: a model of several versions is one, loaded when any of its versions is.
            List<ModelStatus> in = models.stream().filter(m -> m.category().equals(c)).toList();
            int loaded = (int) in.stream().filter(ModelStatus::loaded).map(ModelStatus::name).distinct().count();
            int total = (int) in.stream().map(ModelStatus::name).distinct().count();
            boolean failed = in.stream().anyMatch(m -> m.state() == ModelState.FAILED);
            out.put(c, new CategoryStatus(loaded, total, failed ? "error" : loaded > 0 ? "ready" : "no_models"));
        }
        return out;
    }

    private static List<String> gpuDevices() {
        Path gpus = Path.of("/proc/driver/nvidia/gpus");
        List<String> out = new ArrayList<>();
        try (var dirs = Files.list(gpus)) {
            for (Path dir : dirs.toList()) {
                Files.readAllLines(dir.resolve("information")).stream().filter(l -> l.startsWith("Model:"))
                        .findFirst().ifPresent(l -> out.add(l.substring(6).trim() + " (" + dir.getFileName() + ")"));
            }
        } catch (IOException e) {
            // No per-GPU information: the provider still works, the list stays empty.
        }
        return out;
    }
}
