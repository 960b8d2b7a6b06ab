package dev.kiln.registry;

import dev.kiln.catalog.ModelEntry;
import dev.kiln.runtime.LoadedModel;
import dev.kiln.runtime.TensorSpec;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The registry's record of one model. Every field is guarded by the slot's monitor; waiting for
 * leases to drain uses the same monitor, so {@link #release(LoadedModel)} wakes an unload.
 * Leases are counted per session, so a session swapped out by a replace is closed only when the
 * requests still running on it have finished.
 */
final class ModelSlot {

    private ModelEntry entry;
    private ModelState state;
    /** While UNLOADING: the state the model goes to (AVAILABLE, or DISABLED when disabling). */
    private ModelState target;
    private String reason;
    private LoadedModel loaded;
    private CompletableFuture<Void> loading;
    private final Map<LoadedModel, Integer> inUse = new IdentityHashMap<>();
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

    synchronized ModelState target() {
        return target;
    }

    synchronized String reason() {
        return reason;
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
        install(model, seconds);
        finishLoading();
    }

    private void install(LoadedModel model, double seconds) {
        loaded = model;
        state = ModelState.READY;
        reason = null;
        loadCount++;
        lastLoadSeconds = seconds;
        inputs = model.inputs();
        outputs = model.outputs();
        lastProvider = model.executionProvider();
        lastFallbacks = model.fallbackReasons();
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

    /**
     * Puts a new session and entry in place of a READY one without a gap: new leases get the new
     * session at once. Returns the old session, which the caller retires; null when the model was
     * not READY (then the new entry simply takes effect and the new session is not used).
     */
    synchronized LoadedModel swap(ModelEntry newer, LoadedModel fresh, double seconds) {
        entry = newer;
        if (state != ModelState.READY) {
            resetFromEntry();
            return null;
        }
        LoadedModel old = loaded;
        install(fresh, seconds);
        return old;
    }

    /** A lease on the loaded session, or null when the model is not READY. */
    synchronized Lease tryLease() {
        if (state != ModelState.READY || loaded == null) {
            return null;
        }
        inUse.merge(loaded, 1, Integer::sum);
        return new Lease(this, loaded);
    }

    synchronized void release(LoadedModel model) {
        inUse.computeIfPresent(model, (m, n) -> n == 1 ? null : n - 1);
        notifyAll();
    }

    private int leases() {
        return inUse.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Blocks until no request runs on this (retired) session. */
    synchronized void awaitIdle(LoadedModel model) throws InterruptedException {
        while (inUse.containsKey(model)) {
            wait();
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
        target = after;
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        try {
            while (inUse.containsKey(loaded)) {
                long remaining = (deadline - System.nanoTime()) / 1_000_000L;
                if (remaining <= 0) {
                    state = ModelState.READY;
                    throw new ModelConflictException("model '" + name() + "' still has " + leases()
                            + " request(s) in flight after " + timeoutMillis + " ms; it stays loaded");
                }
                wait(remaining);
            }
        } finally {
            target = null;
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
                lastFallbacks, inputs, outputs, leases(),
                loaded != null ? loaded.loadedAt() : null, loadCount, lastLoadSeconds);
    }
}
