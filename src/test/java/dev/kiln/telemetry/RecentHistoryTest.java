package dev.kiln.telemetry;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Percentiles of an interval from two readings of a bucketed histogram, as histogram_quantile does. */
class RecentHistoryTest {

    static final double[] BOUNDS = {0.005, 0.01, 0.025, 0.05};

    @Test
    void percentilesInterpolateInsideTheirBucket() {
        ModelMeters.Reading before = new ModelMeters.Reading(10, BOUNDS, new long[]{10, 10, 10, 10});
        // 100 more requests: 50 under 5 ms, 40 between 5 and 10 ms, 10 between 10 and 25 ms
        ModelMeters.Reading after = new ModelMeters.Reading(110, BOUNDS, new long[]{60, 100, 110, 110});
        assertEquals(5.0, RecentHistory.quantile(before, after, 0.50));
        assertEquals(17.5, RecentHistory.quantile(before, after, 0.95));
        assertNull(RecentHistory.quantile(after, after, 0.5), "no requests, no percentile");
    }
}
