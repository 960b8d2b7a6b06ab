package dev.kiln.telemetry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * The shadow runs of one version: copies of calls another version answered, run here and compared
 * with that version's answer, never returned. Counted by outcome ({@code compared}, {@code error}
 * when the shadow run failed, {@code mismatch} when its outputs cannot be set against the primary's,
 * {@code dropped} when Kiln was too busy to run it), with their latency and, for numeric outputs,
 * how far they are from the primary's: the largest absolute difference of any element and the
 * cosine similarity of the two answers' values.
 */
final class ShadowMeters {

    static final String COMPARED = "compared";
    static final String ERROR = "error";
    static final String MISMATCH = "mismatch";
    static final String DROPPED = "dropped";

    private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();
    private final Timer latency;
    private final DistributionSummary maxAbsDiff;
    private final DistributionSummary cosine;
    /** Extremes since the first run (Micrometer's max forgets after a couple of minutes). */
    private final AtomicLong minCosineBits = new AtomicLong(Double.doubleToLongBits(Double.NaN));
    private final AtomicLong maxAbsBits = new AtomicLong(Double.doubleToLongBits(Double.NaN));
    private final RecentLatencies recent = new RecentLatencies();

    ShadowMeters(MeterRegistry registry, Tags tags, UnaryOperator<Meter> own) {
        for (String o : new String[]{COMPARED, ERROR, MISMATCH, DROPPED}) {
            outcomes.put(o, (Counter) own.apply(Counter.builder("ai.model.shadow.requests")
                    .description("Shadow runs of this version (copies of calls another version answered) by outcome: compared,"
                            + " error, mismatch (outputs not comparable), dropped (too busy to run)")
                    .tags(tags.and("outcome", o)).register(registry)));
        }
        latency = (Timer) own.apply(Timer.builder("ai.model.shadow.duration").description("Time of this version's shadow runs")
                .tags(tags).serviceLevelObjectives(Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
                        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
                        Duration.ofSeconds(1), Duration.ofSeconds(5)).register(registry));
        maxAbsDiff = (DistributionSummary) own.apply(DistributionSummary.builder("ai.model.shadow.max.abs.diff")
                .description("Per shadow run, the largest absolute difference between an element of its numeric outputs and the primary's")
                .tags(tags).register(registry));
        cosine = (DistributionSummary) own.apply(DistributionSummary.builder("ai.model.shadow.cosine.similarity")
                .description("Per shadow run, the cosine similarity of its numeric outputs and the primary's (1: same direction)")
                .tags(tags).register(registry));
    }

    void dropped() {
        outcomes.get(DROPPED).increment();
    }

    void failed(long nanos) {
        outcomes.get(ERROR).increment();
        latency.record(nanos, TimeUnit.NANOSECONDS);
    }

    void mismatched(long nanos) {
        outcomes.get(MISMATCH).increment();
        latency.record(nanos, TimeUnit.NANOSECONDS);
    }

    void compared(long nanos, double maxAbs, double cos) {
        outcomes.get(COMPARED).increment();
        latency.record(nanos, TimeUnit.NANOSECONDS);
        recent.add(nanos);
        maxAbsDiff.record(maxAbs);
        extreme(maxAbsBits, maxAbs, true);
        if (!Double.isNaN(cos)) {
            cosine.record(cos);
            extreme(minCosineBits, cos, false);
        }
    }

    private static void extreme(AtomicLong bits, double value, boolean highest) {
        bits.accumulateAndGet(Double.doubleToLongBits(value), (a, b) -> {
            double was = Double.longBitsToDouble(a);
            double now = Double.longBitsToDouble(b);
            return Double.isNaN(was) || (highest ? now > was : now < was) ? b : a;
        });
    }

    ShadowStats stats() {
        return new ShadowStats(count(COMPARED), count(ERROR), count(MISMATCH), count(DROPPED),
                latency.count() == 0 ? null : round(latency.mean(TimeUnit.MICROSECONDS) / 1000.0), recent.p95Millis(),
                orNull(maxAbsBits), maxAbsDiff.count() == 0 ? null : maxAbsDiff.mean(),
                orNull(minCosineBits), cosine.count() == 0 ? null : cosine.mean());
    }

    private static Double orNull(AtomicLong bits) {
        double v = Double.longBitsToDouble(bits.get());
        return Double.isNaN(v) ? null : v;
    }

    private long count(String outcome) {
        return (long) outcomes.get(outcome).count();
    }

    private static double round(double ms) {
        return Math.round(ms * 100) / 100.0;
    }
}
