package dev.kiln.inference;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When a session's arena is given back: after its last run in flight, if one of its runs grew it. */
class ArenaDebtTest {

    @Test
    void aGrownRunThatEndsWhileAnotherRunsLeavesTheGiveBackToTheLastOne() {
        BatchRunner.ArenaDebt debt = new BatchRunner.ArenaDebt();
        debt.runStarted();
        debt.runStarted();
        assertFalse(debt.runEnded(true), "another run still holds the arena's blocks");
        assertTrue(debt.runEnded(false), "the last run gives back what the first one grew");
        debt.runStarted();
        assertFalse(debt.runEnded(false), "paid: a run that grew nothing gives nothing back");
    }

    @Test
    void aGrownRunAloneGivesBackAtOnce() {
        BatchRunner.ArenaDebt debt = new BatchRunner.ArenaDebt();
        debt.runStarted();
        assertTrue(debt.runEnded(true));
    }
}
