package dev.kiln.registry;

import dev.kiln.catalog.ModelEntry;
import dev.kiln.runtime.TensorSpec;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A consistent snapshot of one served version of a model, for every read view. {@code inputs}/{@code outputs} are those
 * of the last session opened (empty before the first load). {@code memoryBytes} is measured once
 * the model was loaded ({@code memoryMeasured}), an estimate from its files before that.
 * {@code keepAlive} is null when the model is never unloaded for being idle.
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
        Double lastLoadSeconds,
        long memoryBytes,
        boolean memoryMeasured,
        Instant lastUsed,
        Instant expiresAt,
        Duration keepAlive) {

    public String name() {
        return entry.name();
    }

    public int version() {
        return entry.version();
    }

    public String category() {
        return entry.manifest().category();
    }

    public boolean loaded() {
        return state == ModelState.READY;
    }

    public boolean pinned() {
        return Boolean.TRUE.equals(entry.manifest().pinned());
    }
}
