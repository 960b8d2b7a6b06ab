package dev.kiln.registry;

import dev.kiln.runtime.LoadedModel;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A new version's session, opened (and counted against the memory budget) before its files move
 * into place, so the old version serves until the new one is ready. The registry either puts it in
 * service or closes it; {@link ModelRegistry#discard} after an install is always safe.
 */
public final class Replacement {

    final LoadedModel model;
    final double seconds;
    final long bytes;
    private final AtomicBoolean claimed = new AtomicBoolean();

    Replacement(LoadedModel model, double seconds, long bytes) {
        this.model = model;
        this.seconds = seconds;
        this.bytes = bytes;
    }

    /** True for the one caller that takes the session (into service, or to close it). */
    boolean claim() {
        return claimed.compareAndSet(false, true);
    }
}
