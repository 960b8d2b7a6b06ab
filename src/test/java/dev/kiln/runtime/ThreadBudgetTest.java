package dev.kiln.runtime;

import org.junit.jupiter.api.Test;

import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThreadBudgetTest {

    @Test
    void workersTimesIntraOpThreadsIsTheCpuCountByDefault() {
        for (int cpus = 1; cpus <= 64; cpus++) {
            ThreadBudget b = ThreadBudget.of(cpus, OptionalInt.empty(), 0);
            assertTrue(b.workers() * b.intraOpThreads() <= cpus, b.describe());
            assertTrue(b.workers() >= 1 && b.workers() <= 4, b.describe());
            assertTrue(b.workers() * b.intraOpThreads() > cpus - b.workers(), "no more than a worker's share idle: " + b.describe());
        }
        assertEquals(new ThreadBudget(2, 2, 1), ThreadBudget.of(2, OptionalInt.empty(), 0));
        assertEquals(new ThreadBudget(16, 4, 4), ThreadBudget.of(16, OptionalInt.empty(), 0));
        assertEquals(new ThreadBudget(1, 1, 1), ThreadBudget.of(0, OptionalInt.empty(), 0), "a container always has one CPU");
    }

    @Test
    void whatIsConfiguredWinsAndTheRestFollowsFromIt() {
        assertEquals(new ThreadBudget(8, 1, 8), ThreadBudget.of(8, OptionalInt.of(1), 0), "one worker gets every core");
        assertEquals(new ThreadBudget(8, 2, 4), ThreadBudget.of(8, OptionalInt.empty(), 4), "four threads a run: two runs at once");
        assertEquals(new ThreadBudget(8, 3, 3), ThreadBudget.of(8, OptionalInt.of(3), 3), "both given: taken as they are");
        assertEquals(new ThreadBudget(2, 1, 4), ThreadBudget.of(2, OptionalInt.empty(), 4), "more threads than cores: one worker");
    }
}
