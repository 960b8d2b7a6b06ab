package dev.kiln.telemetry;

import io.quarkus.runtime.annotations.RegisterForReflection;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** {@code GET /api/v1/setup/ai-models/telemetry}: the seed's shape plus per-model evidence. */
@RegisterForReflection
public record TelemetryView(Map<String, ModelTelemetry> models, Summary summary, List<Recommendation> recommendations) {

    /**
     * One model: usage counts add up its versions; state, loaded, size and memory are its default
     * version's (the one most unversioned calls reach); {@code versions} has each served version.
     */
    @RegisterForReflection
    public record ModelTelemetry(String category, String provider, boolean loaded, boolean canLoad, double sizeGb,
                                 long usageCount, Instant lastUsed, String state, long errorCount, long coldStarts,
                                 Double avgLatencyMs, long memoryBytes, boolean memoryMeasured, int defaultVersion,
                                 Map<String, VersionTelemetry> versions) {
    }

    /**
     * One served version: its own usage, its recent p95 (over its latest successful requests, as a
     * canary is judged), the aliases naming it, and its shadow runs when it gets copies of calls.
     */
    @RegisterForReflection
    public record VersionTelemetry(String state, boolean loaded, long usageCount, long errorCount, long coldStarts,
                                   Double avgLatencyMs, Double p95LatencyMs, Instant lastUsed, long memoryBytes,
                                   List<String> aliases,
                                   @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                                   ShadowStats shadow) {
    }

    @RegisterForReflection
    public record Summary(int totalModels, int loadedModels, int usedModels, int unusedModels) {
    }

    @RegisterForReflection
    public record Recommendation(String model, String recommendation, String reason) {
    }
}
