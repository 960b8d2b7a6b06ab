package dev.kiln.registry;

import dev.kiln.catalog.ModelEntry;
import dev.kiln.runtime.LoadedModel;
import dev.kiln.runtime.TensorSpec;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The registry's record of one model. Every field is guarded by the slot's monitor; waiting for
 * leases to drain uses the same monitor, so {@link #release()} wakes an unload.
 */
final class ModelSlot {

    private ModelEntry entry;
    private ModelState state;
    private String reason;
    private LoadedModel loaded;
    private CompletableFuture<Void> loading;
    private int leases;
    private long loadCount;
    private Double lastLoadSeconds;
    private List<TensorSpec> inputs = List.of();
    private List<TensorSpec> outputs = List.of();
    private String lastProvider;
    private List<String> lastFallbacks = List.of();

    ModelSlot(ModelEntry entry) {
        this.entry = entry;
        resetFromEntry();
    }

    String name() {
        return entry.name();
    }

    synchronized ModelEntry entry() {
        return entry;
    }

    synchronized ModelState state() {
        return state;
    }

    synchronized LoadedModel loaded() {
        return loaded;
    }

    /**
     * Takes a newer reading of the directory. An idle model's state follows it only when its files
     * changed, so a FAILED model keeps its reason until someone fixes the files or loads it again.
     */
    synchronized void update(ModelEntry newer) {
        boolean changed = !newer.equals(entry);
        this.entry = newer;
        if (changed && (state == ModelState.AVAILABLE || state == ModelState.FAILED || state == ModelState.DISABLED)) {
            resetFromEntry();
        }
    }

    /** The state an unloaded model rests in, given its directory. */
    private void resetFromEntry() {
        if (entry.problem() != null) {
            state = ModelState.FAILED;
            reason = entry.problem();
        } else if (!entry.manifest().isEnabled()) {
            state = ModelState.DISABLED;
            reason = "disabled in model.yaml";
        } else {
            state = ModelState.AVAILABLE;
            reason = null;
        }
    }

    /** Starts a load unless one runs; returns the future every waiter shares (single flight). */
    synchronized CompletableFuture<Void> beginLoad() {
        if (loading == null) {
            loading = new CompletableFuture<>();
            state = ModelState.LOADING;
            reason = null;
        }
        return loading;
    }

    synchronized CompletableFuture<Void> pendingLoad() {
        return loading;
    }

    synchronized void loadSucceeded(LoadedModel model, double seconds) {
        loaded = model;
        state = ModelState.READY;
        reason = null;
        loadCount++;
        lastLoadSeconds = seconds;
        inputs = model.inputs();
        outputs = model.outputs();
        lastProvider = model.executionProvider();
        lastFallbacks = model.fallbackReasons();
        finishLoading();
    }

    synchronized void loadFailed(String why) {
        state = ModelState.FAILED;
        reason = why;
        finishLoading();
    }

    private void finishLoading() {
        CompletableFuture<Void> f = loading;
        loading = null;
        if (f != null) {
            f.complete(null);
        }
    }

    /** A lease on the loaded session, or null when the model is not READY. */
    synchronized Lease tryLease(boolean coldStart) {
        if (state != ModelState.READY || loaded == null) {
            return null;
        }
        leases++;
        return new Lease(this, loaded, coldStart);
    }

    synchronized void release() {
        leases--;
        if (leases == 0) {
            notifyAll();
        }
    }

    /**
     * Moves READY to UNLOADING and waits for leases to drain. Returns the session to close, or null
     * when the model was not loaded; on timeout the model stays READY and the caller is told why.
     */
    synchronized LoadedModel drain(long timeoutMillis, ModelState after, String afterReason) throws InterruptedException {
        if (state != ModelState.READY) {
            if (after == ModelState.DISABLED && state != ModelState.LOADING) {
                state = after;
                reason = afterReason;
            }
            return null;
        }
        state = ModelState.UNLOADING;
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (leases > 0) {
            long remaining = (deadline - System.nanoTime()) / 1_000_000L;
            if (remaining <= 0) {
                state = ModelState.READY;
                throw new ModelConflictException("model '" + name() + "' still has " + leases
                        + " request(s) in flight after " + timeoutMillis + " ms; it stays loaded");
            }
            wait(remaining);
        }
        LoadedModel out = loaded;
        loaded = null;
        state = after;
        reason = afterReason;
        return out;
    }

    synchronized ModelStatus snapshot() {
        return new ModelStatus(entry, state, reason,
                loaded != null ? loaded.executionProvider() : lastProvider,
                lastFallbacks, inputs, outputs, leases,
                loaded != null ? loaded.loadedAt() : null, loadCount, lastLoadSeconds);
    }

    synchronized String reason() {
        return reason;
    }

}
