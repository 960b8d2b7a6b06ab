package dev.kiln.telemetry;

import java.util.List;

/**
 * One model's inference statistics in the terms of Triton's statistics extension: for each phase,
 * how many times it ran and how many nanoseconds it took in all; and the same per batch size.
 * Read from the model's meters, so they agree with Prometheus.
 */
public record InferenceStats(long lastInferenceMillis, long inferenceCount, long executionCount, Duration success,
                             Duration fail, Duration queue, Duration computeInput, Duration computeInfer,
                             Duration computeOutput, List<Batch> batches) {

    /** A count and the nanoseconds it took in all. */
    public record Duration(long count, long ns) {
    }

    public record Batch(long batchSize, Duration computeInput, Duration computeInfer, Duration computeOutput) {
    }
}
