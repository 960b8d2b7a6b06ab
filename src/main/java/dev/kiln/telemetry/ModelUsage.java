package dev.kiln.telemetry;

import java.time.Instant;

/** What has been counted for one model since the process started. */
public final class ModelUsage {

    private long served;
    private long errors;
    private long rejected;
    private long coldStarts;
    private long latencyNanosTotal;
    private Instant lastUsed;

    synchronized void served(long nanos, Instant at) {
        served++;
        latencyNanosTotal += nanos;
        lastUsed = at;
    }

    synchronized void failed() {
        errors++;
    }

    synchronized void rejected() {
        rejected++;
    }

    synchronized void coldStart() {
        coldStarts++;
    }

    public synchronized Snapshot snapshot() {
        Double avgMs = served == 0 ? null : Math.round(latencyNanosTotal / (double) served / 1e4) / 100.0;
        return new Snapshot(served, errors, rejected, coldStarts, avgMs, lastUsed);
    }

    public record Snapshot(long usageCount, long errorCount, long rejectedCount, long coldStarts,
                           Double avgLatencyMs, Instant lastUsed) {
    }
}
