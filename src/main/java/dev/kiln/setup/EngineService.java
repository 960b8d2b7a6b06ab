package dev.kiln.setup;

import ai.onnxruntime.OrtException;
import dev.kiln.errors.KilnError;
import dev.kiln.health.DependencyHealth;
import dev.kiln.runtime.ExecutionProviders;
import dev.kiln.runtime.OnnxEngine;
import dev.kiln.runtime.ProviderVerdict;
import dev.kiln.setup.SetupRecords.EngineInstalled;
import dev.kiln.setup.SetupRecords.Engines;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Map;

/** {@code /api/v1/setup/inference-engines}: what each execution provider can do here, and choosing one. */
@ApplicationScoped
public class EngineService {

    static final Map<String, String> ENGINES = Map.of("onnxruntime-cpu", ExecutionProviders.CPU,
            "onnxruntime-cuda", ExecutionProviders.CUDA, "onnxruntime-tensorrt", ExecutionProviders.TENSORRT);

    private final OnnxEngine engine;
    private final ExecutionProviders providers;
    private final DependencyHealth health;

    public EngineService(OnnxEngine engine, ExecutionProviders providers, DependencyHealth health) {
        this.engine = engine;
        this.providers = providers;
        this.health = health;
    }

    public Engines engines() {
        return new Engines(health.engines(), engine.preferredProviders());
    }

    /**
     * Proves the provider starts a real session on a tiny built-in model, then prefers it for new
     * loads. 424 naming what is missing when it cannot; never pretends.
     */
    public EngineInstalled install(String engineName) {
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
        try {
            engine.proveSessionStarts(provider);
        } catch (OrtException e) {
            throw KilnError.dependencyMissing(engineName + " failed to start a session: " + e.getMessage() + missing(provider));
        }
        engine.preferProvider(provider);
        return new EngineInstalled(engineName, "installed",
                "a session on a built-in test model started with " + provider + "; new loads prefer it", engine.preferredProviders());
    }

    private String missing(String provider) {
        if (ExecutionProviders.CPU.equals(provider)) {
            return "";
        }
        List<String> libs = health.missingLibraries(provider);
        return libs.isEmpty() ? "" : "; missing libraries: " + String.join(", ", libs);
    }
}
