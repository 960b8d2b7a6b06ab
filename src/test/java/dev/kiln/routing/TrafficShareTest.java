package dev.kiln.routing;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A call's point in [0, 1) and the version whose share holds it. */
class TrafficShareTest {

    static final Map<Integer, Integer> NINETY_TEN = new LinkedHashMap<>(Map.of(1, 90));

    static {
        NINETY_TEN.put(2, 10);
    }

    @Test
    void theSequenceSplitsAsTheWeightsSayOverAnyWindow() {
        for (int start : new int[]{0, 12_345, 1_000_000}) {
            int canary = 0;
            for (int n = start; n < start + 1000; n++) {
                canary += TrafficShare.pick(NINETY_TEN, TrafficShare.sequence(n, TrafficShare.GOLDEN)) == 2 ? 1 : 0;
            }
            assertTrue(canary >= 99 && canary <= 101, "1,000 calls from " + start + ": " + canary + " on the canary");
        }
    }

    @Test
    void anIdAlwaysHasTheSamePointAndIdsSpread() {
        assertEquals(TrafficShare.of("m", "req-1"), TrafficShare.of("m", "req-1"));
        int canary = 0;
        for (int i = 0; i < 10_000; i++) {
            canary += TrafficShare.pick(NINETY_TEN, TrafficShare.of("m", "req-" + i)) == 2 ? 1 : 0;
        }
        assertTrue(canary > 900 && canary < 1100, "10,000 ids: " + canary + " on the canary");
    }

    @Test
    void aPointPicksTheShareHoldingIt() {
        assertEquals(1, TrafficShare.pick(NINETY_TEN, 0.0));
        assertEquals(1, TrafficShare.pick(NINETY_TEN, 0.8999));
        assertEquals(2, TrafficShare.pick(NINETY_TEN, 0.9));
        assertEquals(2, TrafficShare.pick(NINETY_TEN, 0.99999));
    }
}
