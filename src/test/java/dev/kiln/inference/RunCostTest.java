package dev.kiln.inference;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunCostTest {

    @Test
    void nothingIsForeseenBeforeTheFirstRequestOrForACallWithoutASize() {
        RunCost cost = new RunCost();
        assertEquals(-1, cost.foresee(500));
        cost.add(1_000_000, 500);
        assertEquals(-1, cost.foresee(-1));
        assertEquals(-1, cost.foresee(0));
    }

    @Test
    void aRequestNoLargerThanTheAverageIsForeseenAtTheAverageALargerOneInProportion() {
        RunCost cost = new RunCost();
        cost.add(1_000_000, 500);
        assertEquals(1_000_000, cost.foresee(100), "never scaled down: a run's fixed costs stay");
        assertEquals(1_000_000, cost.foresee(500));
        assertEquals(20_000_000, cost.foresee(10_000));
    }

    @Test
    void aLargerRequestCountsAtTheAverageSizeAndAFasterOneMovesTheEstimateByAnEighth() {
        RunCost cost = new RunCost();
        cost.add(800_000, 400);
        cost.add(1_600_000, 1_200);
        // the average size becomes 500 bytes; 1.6 ms for 1,200 bytes counts as 0.67 ms at 500: below 0.8, so an eighth down
        assertEquals(783_334, cost.foresee(500));
        cost.add(0, 400);
        cost.add(5_000_000, -1);
        assertEquals(783_334, cost.foresee(500), "requests without a time or a size leave the estimate as it was");
    }

    /** Holding an event loop is the expensive mistake: one slow request is believed at once, and forgotten slowly. */
    @Test
    void aSlowRequestRaisesTheEstimateAtOnceAndManyFastOnesBringItDown() {
        RunCost cost = new RunCost();
        for (int i = 0; i < 20; i++) {
            cost.add(1_000_000, 300);
        }
        cost.add(10_000_000_000L, 300);
        assertEquals(10_000_000_000L, cost.foresee(300), "a model whose time did not follow its size");
        int fast = 0;
        while (cost.foresee(300) >= 5_000_000) {
            cost.add(1_000_000, 300);
            fast++;
        }
        assertTrue(fast > 40, "it takes many fast requests to trust the model again: " + fast);
    }
}
