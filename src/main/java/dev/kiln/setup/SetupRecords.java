package dev.kiln.setup;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.kiln.registry.ModelState;
import dev.kiln.registry.ModelVersions;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The JSON shapes of the setup endpoints (records only; the services in this package fill them). */
public final class SetupRecords {

    private SetupRecords() {
    }

    @RegisterForReflection
    public record Status(String service, String version, Instant startedAt, long uptimeSeconds, String repository,
                         boolean lazyLoad, Warmup warmup, ModelCounts models, String executionProvider,
                         List<String> preferredExecutionProviders, String replica) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @RegisterForReflection
    public record Warmup(String phase, boolean onStartup, String lastMessage, Double lastElapsedSeconds) {
    }

    @RegisterForReflection
    public record ModelCounts(int total, int loaded, int failed, int disabled) {

        /** Per model, whatever its versions: loaded when any version is READY, failed when any is FAILED. */
        static ModelCounts of(List<ModelVersions> models) {
            return new ModelCounts(models.size(), count(models, ModelState.READY), count(models, ModelState.FAILED),
                    count(models, ModelState.DISABLED));
        }

        private static int count(List<ModelVersions> models, ModelState state) {
            return (int) models.stream().filter(m -> m.served().stream().anyMatch(v -> v.state() == state)).count();
        }
    }

    @RegisterForReflection
    public record EffectiveConfig(boolean lazyLoad, int warmupIterations, String telemetryIdleAfter, String persistedTo) {
    }

    /** One row of the configuration template. */
    @RegisterForReflection
    public record Setting(String key, String env, String type, String defaultValue, String current,
                          boolean runtimeChangeable, String description) {
    }

    @RegisterForReflection
    public record Template(List<Setting> settings) {
    }

    @RegisterForReflection
    public record EngineInstallRequest(String engine) {
    }

    @RegisterForReflection
    public record EngineInstalled(String engine, String status, String detail, List<String> preferredExecutionProviders) {
    }

    @RegisterForReflection
    public record Engines(Map<String, dev.kiln.health.HealthReport.EngineStatus> inferenceEngines,
                          List<String> preferredExecutionProviders) {
    }

    @RegisterForReflection
    public record ModelsStatus(int loadedModelsCount, int totalModelsCount, List<InstalledModel> installedModels) {
    }

    /**
     * One model (the seed's fields first). A model of several versions is one entry: its fields are
     * those of its default version (the one most unversioned calls reach), and {@code versions} has
     * each version on disk.
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    @RegisterForReflection
    public record InstalledModel(String name, String category, String provider, boolean loaded, boolean canLoad,
                                 boolean lazyLoad, double sizeGb, String inferenceEngine, String state, boolean enabled,
                                 String executionProvider, List<String> executionProviderFallbacks, String reason,
                                 String description, int inFlight, long loadCount, long memoryBytes,
                                 boolean memoryMeasured, String batching, List<PipelineStep> steps, List<String> models,
                                 int defaultVersion, String versionPolicy, Map<String, Integer> aliases, List<VersionRow> versions) {
    }

    /**
     * One step of a pipeline in the models status ({@code steps}; null for a model): what it runs (a
     * model's name, or a built-in such as {@code ocr.lines}), the models it calls, and its use so far.
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    @RegisterForReflection
    public record PipelineStep(String name, String runs, List<String> models, long count, Double meanMs, Double meanRows) {
    }

    /**
     * One version of a model: whether its policy serves it, its state, the aliases naming it, the
     * share of unversioned calls it gets ({@code traffic_percent}) and whether it gets their copies
     * ({@code shadow}). A version on disk that the policy does not serve has state {@code NOT_SERVED}.
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    @RegisterForReflection
    public record VersionRow(int version, boolean served, String state, boolean loaded, String reason, List<String> aliases,
                             double trafficPercent, boolean shadow, Double sizeGb, long memoryBytes, boolean memoryMeasured,
                             int inFlight, long loadCount, String executionProvider) {
    }

    /**
     * {@code GET /api/v1/setup/models/{name}/versions} and the answer of every change to them: the
     * policy, the routing as model.yaml has it, and each version; {@code warnings} say where the
     * routing names a version that is not served (its calls go elsewhere).
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    @RegisterForReflection
    public record VersionsView(String name, String versionPolicy, int defaultVersion, Integer shadowVersion,
                               Map<String, Integer> aliases, dev.kiln.catalog.Routing routing, List<VersionRow> versions,
                               List<String> warnings) {
    }

    @RegisterForReflection
    public record AliasRequest(Integer version) {
    }

    /** {@code version}: a version number or an alias (canary when absent); {@code alias}: the one moved (stable when absent). */
    @RegisterForReflection
    public record PromoteRequest(com.fasterxml.jackson.databind.JsonNode version, String alias) {
    }

    /**
     * {@code GET /api/v1/setup/ai-models/loaded}: what is resident now and what it takes, like {@code ollama ps}.
     * Loads are per replica, so it says which replica answered (host or pod name / pid).
     */
    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record ResidentModels(long budgetBytes, String budgetSource, long usedBytes, long freeBytes, Integer maxLoadedModels,
                                 int sessionsOpen, List<ResidentModel> models, String replica) {
    }

    /** One row of {@link ResidentModels}; the session itself is the runtime's {@code LoadedModel}. */
    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record ResidentModel(String name, String category, String state, long memoryBytes, boolean memoryMeasured,
                                String executionProvider, Instant loadedAt, Instant lastUsed, Instant expiresAt,
                                String keepAlive, int inFlight, boolean pinned, boolean required, int version) {
    }

    @RegisterForReflection
    public record EnableRequest(String name, Boolean enabled) {
    }

    /** {@code version}: only that version goes (the model's others stay); without it, the whole model. */
    @RegisterForReflection
    public record UninstallRequest(String name, Integer version) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    @RegisterForReflection
    public record ModelChange(String name, String state, boolean enabled, String reason, String message) {
    }
}
