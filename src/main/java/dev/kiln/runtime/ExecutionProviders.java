package dev.kiln.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which execution providers really work on this machine. Each provider is probed at most once per
 * process and the verdict, with its reason, is cached.
 */
@ApplicationScoped
public class ExecutionProviders {

    public static final String CPU = "cpu";
    public static final String CUDA = "cuda";
    public static final String TENSORRT = "tensorrt";
    public static final List<String> KNOWN = List.of(TENSORRT, CUDA, CPU);

    private static final Logger LOG = Logger.getLogger(ExecutionProviders.class);

    private final Map<String, ProviderVerdict> verdicts = new ConcurrentHashMap<>();
    private volatile GpuPresence gpu;

    public ProviderVerdict verdict(String provider) {
        return verdicts.computeIfAbsent(provider, this::probe);
    }

    /** The verdict if the provider was already probed; never triggers a probe. */
    public ProviderVerdict cachedVerdict(String provider) {
        return verdicts.get(provider);
    }

    public GpuPresence gpu() {
        GpuPresence g = gpu;
        if (g == null) {
            g = GpuPresence.detect();
            gpu = g;
        }
        return g;
    }

    /** What the ONNX Runtime jar was built with: not a promise that the provider works here. */
    public EnumSet<OrtProvider> builtIn() {
        return OrtEnvironment.getAvailableProviders();
    }

    /** Adds the provider to session options; CPU needs nothing, it is always the last resort. */
    void apply(OrtSession.SessionOptions options, String provider) throws OrtException {
        switch (provider) {
            case CUDA -> options.addCUDA(0);
            case TENSORRT -> options.addTensorrt(0);
            default -> {
            }
        }
    }

    private ProviderVerdict probe(String provider) {
        if (CPU.equals(provider)) {
            return ProviderVerdict.usable(CPU);
        }
        if (!KNOWN.contains(provider)) {
            return ProviderVerdict.unusable(provider, "unknown execution provider '" + provider
                    + "': use one of " + KNOWN);
        }
        OrtProvider ort = CUDA.equals(provider) ? OrtProvider.CUDA : OrtProvider.TENSOR_RT;
        if (!builtIn().contains(ort)) {
            return ProviderVerdict.unusable(provider, "this ONNX Runtime build has no " + provider
                    + " provider (CPU artifact 'onnxruntime' in use; build with -Donnxruntime.artifact=onnxruntime_gpu)");
        }
        GpuPresence presence = gpu();
        if (!presence.plausible()) {
            return ProviderVerdict.unusable(provider, presence.missing());
        }
        long start = System.nanoTime();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            apply(options, provider);
            LOG.infof("execution provider %s is usable (probe took %d ms)", provider, (System.nanoTime() - start) / 1_000_000);
            return ProviderVerdict.usable(provider);
        } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
            LOG.warnf("execution provider %s is not usable: %s", provider, e.getMessage());
            return ProviderVerdict.unusable(provider, e.getMessage());
        }
    }

    /** Forgets a verdict so the next use probes again (after an operator installed a driver). */
    public void forget(String provider) {
        verdicts.remove(provider);
    }
}
