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
    private final boolean coldStart;
    private final AtomicBoolean closed = new AtomicBoolean();

    Lease(ModelSlot slot, LoadedModel model, boolean coldStart) {
        this.slot = slot;
        this.model = model;
        this.coldStart = coldStart;
    }

    public LoadedModel model() {
        return model;
    }

    public String modelName() {
        return slot.name();
    }

    public String category() {
        return slot.entry().manifest().category();
    }

    /** True when this request had to wait for the model to load. */
    public boolean coldStart() {
        return coldStart;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            slot.release(model);
        }
    }
}
