package dev.kiln.runtime;

import org.junit.jupiter.api.Test;

import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThreadBudgetTest {

    @Test
    void oneSharedPoolIsSizedToTheMachineAndWorkersToAtMostFour() {
        for (int cpus = 1; cpus <= 64; cpus++) {
            ThreadBudget b = ThreadBudget.of(cpus, OptionalInt.empty(), 0, true);
            assertEquals(cpus, b.intraOpThreads(), "a lone run may use every core: " + b.describe());
            assertEquals(Math.min(cpus, 4), b.workers(), b.describe());
        }
        assertEquals(new ThreadBudget(2, 2, 2, true), ThreadBudget.of(2, OptionalInt.empty(), 0, true));
        assertEquals(new ThreadBudget(1, 1, 1, true), ThreadBudget.of(0, OptionalInt.empty(), 0, true), "a container always has one CPU");
        assertEquals(new ThreadBudget(8, 1, 8, true), ThreadBudget.of(8, OptionalInt.of(1), 0, true));
        assertEquals(new ThreadBudget(8, 4, 3, true), ThreadBudget.of(8, OptionalInt.empty(), 3, true), "the pool's size as configured");
    }

    @Test
    void poolsOfTheirOwnSplitTheCpusBetweenTheWorkers() {
        for (int cpus = 1; cpus <= 64; cpus++) {
            ThreadBudget b = ThreadBudget.of(cpus, OptionalInt.empty(), 0, false);
            assertTrue(b.workers() * b.intraOpThreads() <= cpus, b.describe());
            assertTrue(b.workers() >= 1 && b.workers() <= 4, b.describe());
            assertTrue(b.workers() * b.intraOpThreads() > cpus - b.workers(), "no more than a worker's share idle: " + b.describe());
        }
        assertEquals(new ThreadBudget(2, 2, 1, false), ThreadBudget.of(2, OptionalInt.empty(), 0, false));
        assertEquals(new ThreadBudget(16, 4, 4, false), ThreadBudget.of(16, OptionalInt.empty(), 0, false));
        assertEquals(new ThreadBudget(8, 1, 8, false), ThreadBudget.of(8, OptionalInt.of(1), 0, false), "one worker gets every core");
        assertEquals(new ThreadBudget(8, 2, 4, false), ThreadBudget.of(8, OptionalInt.empty(), 4, false), "four threads a run: two runs at once");
        assertEquals(new ThreadBudget(8, 3, 3, false), ThreadBudget.of(8, OptionalInt.of(3), 3, false), "both given: taken as they are");
        assertEquals(new ThreadBudget(2, 1, 4, false), ThreadBudget.of(2, OptionalInt.empty(), 4, false), "more threads than cores: one worker");
    }
}
