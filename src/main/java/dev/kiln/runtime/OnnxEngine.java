package dev.kiln.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import ai.onnxruntime.OrtSession;
import dev.kiln.catalog.ModelEntry;
import dev.kiln.catalog.ModelManifest;
import dev.kiln.config.AiModelsConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The one {@link OrtEnvironment} and the way sessions are made. Providers are tried in order of
 * preference; CPU is always the last resort, so a missing GPU never fails a load.
 */
@ApplicationScoped
public class OnnxEngine {

    private static final Logger LOG = Logger.getLogger(OnnxEngine.class);

    private final AiModelsConfig config;
    private final ExecutionProviders providers;
    private volatile OrtEnvironment env;
    private volatile List<String> preferredOverride;
    private final java.util.Map<String, Signed> signatures = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean globalPools;

    public OnnxEngine(AiModelsConfig config, ExecutionProviders providers) {
        this.config = config;
        this.providers = providers;
    }

    /**
     * Loads ONNX Runtime's native library (about 0.2 s) on a thread of its own as soon as the
     * application starts, so the load overlaps the rest of the startup instead of adding to it.
     * A library that cannot load is reported by whoever needs it next (health, loads).
     */
    void preload(@Observes @Priority(1) StartupEvent ev) {
        Thread loader = new Thread(() -> {
            try {
                environment();
            } catch (RuntimeException | LinkageError e) {
                LOG.debugf("ONNX Runtime did not load at startup: %s", e.getMessage());
            }
        }, "kiln-onnxruntime-preload");
        loader.setDaemon(true);
        // A start that fails (the port is taken) exits at once; the C++ runtime tearing ONNX
        // Runtime down while this thread is still creating it is a SIGSEGV. The exit waits for it
        // (a finished thread is joined at once).
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                loader.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "kiln-onnxruntime-preload-exit"));
        loader.start();
    }

    /** The environment, created on first use so a broken native library surfaces as a health issue. */
    public OrtEnvironment environment() {
        OrtEnvironment e = env;
        if (e == null) {
            synchronized (this) {
                if (env == null) {
                    env = create();
                }
                e = env;
            }
        }
        return e;
    }

    /**
     * With global thread pools: one intra-op pool of {@link #intraOpThreads()} threads for every
     * session. ONNX Runtime keeps one environment per process; when something made it already
     * (a library, a test), sessions fall back to pools of their own.
     */
    private OrtEnvironment create() {
        if (!config.session().globalThreadPools()) {
            return OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "kiln");
        }
        try (OrtEnvironment.ThreadingOptions threads = new OrtEnvironment.ThreadingOptions()) {
            threads.setGlobalIntraOpNumThreads(intraOpThreads());
            threads.setGlobalInterOpNumThreads(Math.max(1, config.session().interOpThreads()));
            threads.setGlobalSpinControl(config.session().spinning());
            OrtEnvironment created = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "kiln", threads);
            globalPools = true;
            LOG.infof("ONNX Runtime: one intra-op pool of %d thread(s) for all sessions, spinning %s (%s)", intraOpThreads(),
                    config.session().spinning() ? "on" : "off", threads().describe());
            return created;
        } catch (OrtException | IllegalStateException e) {
            LOG.warnf("ONNX Runtime's environment existed already; sessions use thread pools of their own (%s)", e.getMessage());
            return OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "kiln");
        }
    }

    /** The intra-op threads of one run: configured, else the CPUs left to each inference worker. */
    public int intraOpThreads() {
        return threads().intraOpThreads();
    }

    /** Workers and intra-op threads, sized together from the CPUs this container may use. */
    public ThreadBudget threads() {
        return ThreadBudget.of(config);
    }

    /** True when sessions share the environment's thread pools. */
    public boolean globalThreadPools() {
        environment();
        return globalPools;
    }

    public String version() {
        return environment().getVersion();
    }

    /** The service-wide order of providers (configuration, unless changed at run time). */
    public List<String> preferredProviders() {
        List<String> override = preferredOverride;
        return override != null ? override : normalised(config.executionProviders());
    }

    /** The first preferred provider that is usable, as already probed; never probes from here. */
    public String providerInUse() {
        for (String p : preferredProviders()) {
            ProviderVerdict v = providers.cachedVerdict(p);
            if (ExecutionProviders.CPU.equals(p) || v != null && v.usable()) {
                return p;
            }
        }
        return ExecutionProviders.CPU;
    }

    public void preferProvider(String provider) {
        List<String> order = new ArrayList<>(List.of(provider));
        preferredProviders().stream().filter(p -> !p.equals(provider)).forEach(order::add);
        preferredOverride = List.copyOf(order);
    }

    /**
     * The inputs and outputs the model file declares, without a session; read once per version of
     * the file. Throws when the file is not a readable ONNX model.
     */
    public OnnxFileSignature.Signature signature(ModelEntry entry) throws java.io.IOException {
        Signed cached = signatures.get(entry.name());
        if (cached != null && cached.entry().equals(entry)) {
            return cached.signature();
        }
        OnnxFileSignature.Signature read = OnnxFileSignature.read(entry.modelFile());
        signatures.put(entry.name(), new Signed(entry, read));
        return read;
    }

    private record Signed(ModelEntry entry, OnnxFileSignature.Signature signature) {
    }

    /**
     * Proves the provider starts a real session: one on a tiny built-in model, closed before this
     * returns. It never holds a model or serves a request, so it is no part of any model's
     * lifecycle; model sessions are opened by {@link #open} for the registry alone.
     */
    public void proveSessionStarts(String provider) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            providers.apply(options, provider);
            try (OrtSession ignored = environment().createSession(TinyOnnx.identity(TinyOnnx.FLOAT, 1), options)) {
                LOG.debugf("execution provider %s started a session", provider);
            }
        }
    }

    /** Opens the model on the first provider that works, keeping why the others were passed over. */
    public LoadedModel open(ModelEntry entry) throws OrtException {
        List<String> reasons = new ArrayList<>();
        OrtException last = null;
        for (String provider : providersFor(entry.manifest())) {
            ProviderVerdict verdict = providers.verdict(provider);
            if (!verdict.usable()) {
                reasons.add(provider + ": " + verdict.reason());
                continue;
            }
            try (OrtSession.SessionOptions options = options(entry.manifest(), provider)) {
                OrtSession session = environment().createSession(entry.modelFile().toString(), options);
                return new LoadedModel(session, provider, reasons, config.session().cpuArena());
            } catch (OrtException e) {
                last = e;
                if (ExecutionProviders.CPU.equals(provider)) {
                    throw e;
                }
                LOG.warnf("model %s could not start on %s, trying the next provider: %s", entry.name(), provider, e.getMessage());
                reasons.add(provider + ": " + e.getMessage());
            }
        }
        throw last != null ? last : new OrtException("no usable execution provider: " + String.join("; ", reasons));
    }

    private List<String> providersFor(ModelManifest manifest) {
        Set<String> order = new LinkedHashSet<>();
        if (manifest.execution() != null && manifest.execution().providers() != null) {
            order.addAll(normalised(manifest.execution().providers()));
        }
        order.addAll(preferredProviders());
        order.add(ExecutionProviders.CPU);
        return List.copyOf(order);
    }

    private OrtSession.SessionOptions options(ModelManifest manifest, String provider) throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        try {
            Integer ownIntra = manifest.execution() == null ? null : manifest.execution().intraOpThreads();
            Integer ownInter = manifest.execution() == null ? null : manifest.execution().interOpThreads();
            if (globalThreadPools() && ownIntra == null && ownInter == null) {
                o.disablePerSessionThreads();
            } else {
                o.setIntraOpNumThreads(ownIntra != null ? ownIntra : intraOpThreads());
                o.setInterOpNumThreads(ownInter != null ? ownInter : Math.max(1, config.session().interOpThreads()));
            }
            o.setOptimizationLevel(optLevel(config.session().optimizationLevel()));
            o.setCPUArenaAllocator(config.session().cpuArena());
            providers.apply(o, provider);
            return o;
        } catch (OrtException | RuntimeException e) {
            o.close();
            throw e;
        }
    }

    static OptLevel optLevel(String level) {
        return switch (level.toLowerCase(Locale.ROOT)) {
            case "none", "disable" -> OptLevel.NO_OPT;
            case "basic" -> OptLevel.BASIC_OPT;
            case "extended" -> OptLevel.EXTENDED_OPT;
            default -> OptLevel.ALL_OPT;
        };
    }

    private static List<String> normalised(List<String> names) {
        return names.stream().map(s -> s.trim().toLowerCase(Locale.ROOT)).filter(s -> !s.isEmpty()).distinct().toList();
    }
}
