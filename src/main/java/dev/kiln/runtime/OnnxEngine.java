package dev.kiln.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import ai.onnxruntime.OrtSession;
import dev.kiln.catalog.ModelEntry;
import dev.kiln.catalog.ModelManifest;
import dev.kiln.config.AiModelsConfig;
import jakarta.enterprise.context.ApplicationScoped;
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

    public OnnxEngine(AiModelsConfig config, ExecutionProviders providers) {
        this.config = config;
        this.providers = providers;
    }

    /** The environment, created on first use so a broken native library surfaces as a health issue. */
    public OrtEnvironment environment() {
        OrtEnvironment e = env;
        if (e == null) {
            synchronized (this) {
                if (env == null) {
                    env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "kiln");
                }
                e = env;
            }
        }
        return e;
    }

    public String version() {
        return environment().getVersion();
    }

    /** The service-wide order of providers (configuration, unless changed at run time). */
    public List<String> preferredProviders() {
        List<String> override = preferredOverride;
        return override != null ? override : normalised(config.executionProviders());
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
                return new LoadedModel(session, provider, reasons);
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
            int intra = pick(manifest.execution() == null ? null : manifest.execution().intraOpThreads(),
                    config.session().intraOpThreads());
            int inter = pick(manifest.execution() == null ? null : manifest.execution().interOpThreads(),
                    config.session().interOpThreads());
            if (intra > 0) {
                o.setIntraOpNumThreads(intra);
            }
            if (inter > 0) {
                o.setInterOpNumThreads(inter);
            }
            o.setOptimizationLevel(optLevel(config.session().optimizationLevel()));
            providers.apply(o, provider);
            return o;
        } catch (OrtException | RuntimeException e) {
            o.close();
            throw e;
        }
    }

    private static int pick(Integer perModel, int global) {
        return perModel != null ? perModel : global;
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
