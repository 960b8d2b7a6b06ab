package dev.kiln.warmup;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;
import java.util.Map;

/** Response of {@code POST /api/v1/setup/ai-models/warm-up}: the seed's fields first, then detail. */
@RegisterForReflection
public record WarmupReport(String status, String message, boolean modelsLoaded, double elapsedTimeSeconds,
                           Map<String, Integer> loadedCounts, int totalLoaded, boolean alreadyWarm,
                           List<ModelWarmup> models) {

    /**
     * One model's part: status is warmed, already_warm, skipped (disabled, uninstalled or unloaded
     * meanwhile, or a lazy model that does not fit the memory budget now) or failed;
     * {@code insufficient_memory} marks a failure for lack of room. One entry per version a model serves.
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    @RegisterForReflection
    public record ModelWarmup(String name, String category, String status, Double loadSeconds, Double warmupSeconds,
                              String error, boolean insufficientMemory, int version) {

        static ModelWarmup failed(String name, String category, Double loadSeconds, String error, boolean memory, int version) {
            return new ModelWarmup(name, category, "failed", loadSeconds, null, error, memory, version);
        }
    }

    public boolean succeeded() {
        return "success".equals(status);
    }

    /** Every failure was a model that did not fit the memory budget: 507, as a load would answer. */
    public boolean failedForMemoryOnly() {
        List<ModelWarmup> failed = models.stream().filter(m -> "failed".equals(m.status())).toList();
        return !failed.isEmpty() && failed.stream().allMatch(ModelWarmup::insufficientMemory);
    }
}
