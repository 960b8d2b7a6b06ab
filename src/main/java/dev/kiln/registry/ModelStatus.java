package dev.kiln.registry;

import dev.kiln.catalog.ModelEntry;
import dev.kiln.runtime.TensorSpec;

import java.time.Instant;
import java.util.List;

/**
 * A consistent snapshot of one model, for every read view. {@code inputs}/{@code outputs} are those
 * of the last session opened (empty before the first load).
 */
public record ModelStatus(
        ModelEntry entry,
        ModelState state,
        String reason,
        String executionProvider,
        List<String> providerFallbacks,
        List<TensorSpec> inputs,
        List<TensorSpec> outputs,
        int inFlight,
        Instant loadedAt,
        long loadCount,
        Double lastLoadSeconds) {

    public String name() {
        return entry.name();
    }

    public String category() {
        return entry.manifest().category();
    }

    public boolean loaded() {
        return state == ModelState.READY;
    }
}
