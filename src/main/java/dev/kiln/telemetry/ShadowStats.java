package dev.kiln.telemetry;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * A version's shadow runs so far: how many were compared with the primary's answer, failed, could
 * not be compared (other output names, shapes or types) or were dropped (Kiln too busy); their
 * mean and p95 latency (ms); the largest and the mean per-run maximum absolute difference from the
 * primary's numeric outputs; the lowest and the mean cosine similarity with them.
 */
@RegisterForReflection
public record ShadowStats(long compared, long errors, long mismatched, long dropped, Double meanLatencyMs, Double p95LatencyMs,
                          Double maxAbsDiff, Double meanMaxAbsDiff, Double minCosine, Double meanCosine) {
}
