package dev.kiln.telemetry;

import io.quarkus.runtime.annotations.RegisterForReflection;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** {@code GET /api/v1/setup/ai-models/telemetry}: the seed's shape plus per-model evidence. */
@RegisterForReflection
public record TelemetryView(Map<String, ModelTelemetry> models, Summary summary, List<Recommendation> recommendations) {

    @RegisterForReflection
    public record ModelTelemetry(String category, String provider, boolean loaded, boolean canLoad, double sizeGb,
                                 long usageCount, Instant lastUsed, String state, long errorCount, long coldStarts,
                                 Double avgLatencyMs, long memoryBytes, boolean memoryMeasured) {
    }

    @RegisterForReflection
    public record Summary(int totalModels, int loadedModels, int usedModels, int unusedModels) {
    }

    @RegisterForReflection
    public record Recommendation(String model, String recommendation, String reason) {
    }
}
