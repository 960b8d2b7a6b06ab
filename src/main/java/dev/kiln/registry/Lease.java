package dev.kiln.registry;

import dev.kiln.runtime.LoadedModel;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Permission to run one loaded session. While any lease on it is open the registry will not close
 * it: close the lease in a finally block (try-with-resources). The last lease on a session that
 * was replaced or is being unloaded closes it.
 */
public final class Lease implements AutoCloseable {

    private final ModelRegistry owner;
    private final ModelSlot slot;
    private final LoadedModel model;
    private final AtomicBoolean closed = new AtomicBoolean();

    Lease(ModelRegistry owner, ModelSlot slot, LoadedModel model) {
        this.owner = owner;
        this.slot = slot;
        this.model = model;
    }

    public LoadedModel model() {
        return model;
    }

    public String modelName() {
        return slot.name();
    }

    /** The version this lease runs. */
    public int version() {
        return slot.version();
    }

    ModelSlot slot() {
        return slot;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Runnable then = slot.release(model, owner);
            if (then != null) {
                then.run();
            }
        }
    }
}
