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

    /** One model's part: status is warmed, already_warm or failed. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    @RegisterForReflection
    public record ModelWarmup(String name, String category, String status, Double loadSeconds, Double warmupSeconds,
                              String error) {
    }

    public boolean succeeded() {
        return "success".equals(status);
    }
}
