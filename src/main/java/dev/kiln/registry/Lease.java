package dev.kiln.registry;

import dev.kiln.runtime.LoadedModel;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Permission to run one loaded model. While any lease is open the registry will not close the
 * session; close the lease in a finally block (try-with-resources).
 */
public final class Lease implements AutoCloseable {

    private final ModelSlot slot;
    private final LoadedModel model;
    private final AtomicBoolean closed = new AtomicBoolean();

    Lease(ModelSlot slot, LoadedModel model) {
        this.slot = slot;
        this.model = model;
    }

    public LoadedModel model() {
        return model;
    }

    public String modelName() {
        return slot.name();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            slot.release(model);
        }
    }
}
