package dev.kiln.registry;

import dev.kiln.catalog.ModelEntry;
import dev.kiln.runtime.LoadedModel;

/**
 * A new version's session, opened by the registry before it is swapped in, so the old version
 * serves until the new one is ready. Discard it if the swap does not happen.
 */
public final class Replacement {

    final ModelEntry staged;
    final LoadedModel model;
    final double seconds;

    Replacement(ModelEntry staged, LoadedModel model, double seconds) {
        this.staged = staged;
        this.model = model;
        this.seconds = seconds;
    }
}
