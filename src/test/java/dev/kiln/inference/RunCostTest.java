package dev.kiln.inference;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunCostTest {

    @Test
    void nothingIsForeseenBeforeTheFirstRequestOrForACallWithoutASize() {
        RunCost cost = new RunCost();
        assertEquals(-1, cost.foresee(500));
        cost.add(1_000_000, 500, 50);
        assertEquals(-1, cost.foresee(-1));
        assertEquals(-1, cost.foresee(0));
    }

    @Test
    void aRequestNoLargerThanTheAverageIsForeseenAtTheAverageALargerOneInProportion() {
        RunCost cost = new RunCost();
        cost.add(1_000_000, 500, 50);
        assertEquals(1_000_000, cost.foresee(100), "never scaled down: a run's fixed costs stay");
        assertEquals(1_000_000, cost.foresee(500));
        assertEquals(20_000_000, cost.foresee(10_000));
    }

    @Test
    void aLargerRequestCountsAtTheAverageSizeAndAFasterOneMovesTheEstimateByAnEighth() {
        RunCost cost = new RunCost();
        cost.add(800_000, 400, 40);
        cost.add(1_600_000, 1_200, 120);
        // the average size becomes 500 bytes; 1.6 ms for 1,200 bytes counts as 0.67 ms at 500: below 0.8, so an eighth down
        assertEquals(783_334, cost.foresee(500));
        cost.add(0, 400, 40);
        cost.add(5_000_000, -1, 40);
        cost.add(5_000_000, 400, 0);
        assertEquals(783_334, cost.foresee(500), "requests without a time or a size leave the estimate as it was");
    }

    /** A body padded on the wire says nothing about the run: once read, the tensor values decide. */
    @Test
    void paddingTeachesTheWireSizeButNotTheRunsSize() {
        RunCost cost = new RunCost();
        for (int i = 0; i < 40; i++) {
            cost.add(1_000_000, 256 * 1024, 24); // 8 tokens x 3 inputs in a body padded to 256 KB
        }
        long compact = 3 * 16 * 512;            // [16,512] x 3 inputs, 197 KB on the wire
        assertEquals(1_000_000, cost.foresee(compact * 8 + 300), "on the wire it looks like the padded ones");
        assertTrue(cost.foreseeRun(compact) >= 1_000_000L * 1000, "its values say a thousand times more: " + cost.foreseeRun(compact));
    }

    /** Holding an event loop is the expensive mistake: one slow request is believed at once, and forgotten slowly. */
    @Test
    void aSlowRequestRaisesTheEstimateAtOnceAndManyFastOnesBringItDown() {
        RunCost cost = new RunCost();
        for (int i = 0; i < 20; i++) {
            cost.add(1_000_000, 300, 30);
        }
        cost.add(10_000_000_000L, 300, 30);
        assertEquals(10_000_000_000L, cost.foresee(300), "a model whose time did not follow its size");
        int fast = 0;
        while (cost.foresee(300) >= 5_000_000) {
            cost.add(1_000_000, 300, 30);
            fast++;
        }
        assertTrue(fast > 40, "it takes many fast requests to trust the model again: " + fast);
    }
}
