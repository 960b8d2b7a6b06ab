package dev.kiln.setup;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** JSON shapes of the setup endpoints. */
public final class SetupViews {

    private SetupViews() {
    }

    public record Status(String service, String version, Instant startedAt, long uptimeSeconds, String repository,
                         boolean lazyLoad, Warmup warmup, ModelCounts models, String executionProvider,
                         List<String> preferredExecutionProviders) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Warmup(String phase, boolean onStartup, String lastMessage, Double lastElapsedSeconds) {
    }

    public record ModelCounts(int total, int loaded, int failed, int disabled) {
    }

    public record EffectiveConfig(boolean lazyLoad, int warmupIterations, String telemetryIdleAfter, String persistedTo) {
    }

    /** One row of the configuration template. */
    public record Setting(String key, String env, String type, String defaultValue, String current,
                          boolean runtimeChangeable, String description) {
    }

    public record Template(List<Setting> settings) {
    }

    public record EngineInstallRequest(String engine) {
    }

    public record EngineInstalled(String engine, String status, String detail, List<String> preferredExecutionProviders) {
    }

    public record Engines(Map<String, dev.kiln.health.HealthReport.EngineStatus> inferenceEngines,
                          List<String> preferredExecutionProviders) {
    }

    public record ModelsStatus(int loadedModelsCount, int totalModelsCount, List<InstalledModel> installedModels) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record InstalledModel(String name, String category, String provider, boolean loaded, boolean canLoad,
                                 boolean lazyLoad, double sizeGb, String inferenceEngine, String state, boolean enabled,
                                 String executionProvider, List<String> executionProviderFallbacks, String reason,
                                 String description, int inFlight, long loadCount) {
    }

    public record EnableRequest(String name, Boolean enabled) {
    }

    public record UninstallRequest(String name) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record ModelChange(String name, String state, boolean enabled, String reason, String message) {
    }
}
