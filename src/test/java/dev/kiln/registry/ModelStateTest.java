package dev.kiln.registry;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The lifecycle's transition table, written out by hand: every move from every state to every
 * state, allowed (x) or refused (.). A change to ModelState's table that this grid does not share
 * fails here, naming the move.
 */
class ModelStateTest {

    private static final String[] GRID = {
            //           AVAILABLE LOADING READY UNLOADING FAILED DISABLED REMOVED
            "AVAILABLE   .         x       .     .         x      x        x",
            "LOADING     x         .       x     .         x      x        .",
            "READY       .         .       x     x         .      .        .",
            "UNLOADING   x         .       x     .         .      x        x",
            "FAILED      x         x       .     .         x      x        x",
            "DISABLED    x         .       .     .         x      .        x",
            "REMOVED     .         .       .     .         .      .        .",
    };

    private static final ModelState[] COLUMNS = {ModelState.AVAILABLE, ModelState.LOADING, ModelState.READY,
            ModelState.UNLOADING, ModelState.FAILED, ModelState.DISABLED, ModelState.REMOVED};

    @TestFactory
    List<DynamicTest> everyMoveIsAllowedOrRefusedAsTheGridSays() {
        List<DynamicTest> moves = new ArrayList<>();
        for (String row : GRID) {
            String[] cells = row.trim().split("\\s+");
            ModelState from = ModelState.valueOf(cells[0]);
            for (int i = 0; i < COLUMNS.length; i++) {
                ModelState to = COLUMNS[i];
                boolean allowed = cells[i + 1].equals("x");
                moves.add(DynamicTest.dynamicTest(from + " -> " + to + (allowed ? " allowed" : " refused"),
                        () -> assertEquals(allowed, from.canMoveTo(to), from + " -> " + to)));
            }
        }
        return moves;
    }

    @Test
    void theGridCoversEveryState() {
        assertEquals(Arrays.asList(ModelState.values()), Arrays.asList(COLUMNS), "columns");
        assertEquals(Arrays.asList(ModelState.values()),
                Arrays.stream(GRID).map(r -> ModelState.valueOf(r.trim().split("\\s+")[0])).toList(), "rows");
        for (String row : GRID) {
            assertEquals(COLUMNS.length + 1, row.trim().split("\\s+").length, "one cell per state: " + row);
        }
    }

    @Test
    void onlyLoadingAndUnloadingAreUnderWay() {
        for (ModelState s : ModelState.values()) {
            assertEquals(s != ModelState.LOADING && s != ModelState.UNLOADING, s.isStable(), s.name());
        }
    }
}
