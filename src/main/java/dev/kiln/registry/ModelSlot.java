package dev.kiln.registry;

import dev.kiln.catalog.ModelEntry;
import dev.kiln.catalog.ModelRef;
import dev.kiln.runtime.LoadedModel;
import dev.kiln.runtime.TensorSpec;

import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The registry's record of one served version of a model: its state machine, its sessions and the leases on them.
 * Every field is guarded by the slot's monitor, and the state changes only in {@link #moveTo}.
 * Work that must not run under the monitor (closing a native session, completing a future whose
 * waiters may call back in) is handed back to the caller as a {@link Runnable}.
 */
final class ModelSlot {

    /** An unload under way: where the model goes once the last lease on its session is released. */
    record Drain(ModelState target, String reason, CompletableFuture<LoadedModel> done) {
    }

    /** A load under way; {@code started} tells the caller it must run it (single flight). */
    record Load(CompletableFuture<Void> future, boolean started) {
    }

    /** A drain under way; {@code started} tells the caller it must close the session it yields (once). */
    record DrainTicket(CompletableFuture<LoadedModel> done, boolean started) {
    }

    private static final long RETRY_FIRST_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    private static final long RETRY_CAP_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(10);
    private static final long REJECTED_RETRY_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(10);
    private static final String SERVES_DESPITE = "serves the files it loaded; those on disk now cannot be loaded: ";

    private final String name;
    private final ModelRef ref;
    private ModelEntry entry;
    private ModelState state;
    private String reason;
    /** New files on disk a READY model could not open, and when: not tried again each pass while they stay as they were. */
    private ModelEntry rejected;
    private long rejectedAt;
    /** Loads that failed in a row (FAILED by a load, not by its files' problem), and when the last one did. */
    private int failedLoads;
    private long lastFailedLoad;
    private LoadedModel session;
    private CompletableFuture<Void> loading;
    private Drain drain;
    private final Map<LoadedModel, Integer> leases = new IdentityHashMap<>();
    /** Sessions swapped out by a replace: each is closed by the release of its last lease. */
    private final Set<LoadedModel> retired = Collections.newSetFromMap(new IdentityHashMap<>());
    private Instant lastUsed;
    private long loadCount;
    private Double lastLoadSeconds;
    private Long memoryBytes;
    private boolean memoryMeasured;
    private List<TensorSpec> inputs = List.of();
    private List<TensorSpec> outputs = List.of();
    private String lastProvider;
    private List<String> lastFallbacks = List.of();
    private final AtomicLong revision;

    /** {@code revision} is the registry's change counter: every state or entry change moves it on. */
    ModelSlot(ModelEntry entry, AtomicLong revision) {
        this.revision = revision;
        this.name = entry.name();
        this.ref = entry.ref();
        this.entry = entry;
        this.state = restingState(entry);
        this.reason = restingReason(entry);
    }

    String name() {
        return name;
    }

    int version() {
        return ref.version();
    }

    ModelRef ref() {
        return ref;
    }

    synchronized ModelEntry entry() {
        return entry;
    }

    synchronized ModelState state() {
        return state;
    }

    synchronized String reason() {
        return reason;
    }

    /** The one door for state changes: a move the table does not allow is a bug, thrown as such. */
    private void moveTo(ModelState next, String why) {
        if (!state.canMoveTo(next)) {
            throw new IllegalTransitionException(ref.toString(), state, next);
        }
        state = next;
        reason = why;
        revision.incrementAndGet();
    }

    /**
     * A READY model whose new files on disk cannot be opened keeps its session and entry; its reason says
     * why, and those files are tried again when they change, or after ten minutes. True when the reason is new.
     */
    synchronized boolean serveDespite(ModelEntry onDisk, String problem) {
        rejected = onDisk;
        rejectedAt = System.nanoTime();
        String why = servingDespite(problem);
        if (state != ModelState.READY || why.equals(reason)) {
            return false;
        }
        reason = why;
        revision.incrementAndGet();
        return true;
    }

    /**
     * Whether these files on disk are the ones that could not be opened last time, less than ten minutes
     * ago: opening them again each pass would cost a replica a read of the whole file every few seconds.
     */
    synchronized boolean rejectedRecently(ModelEntry onDisk) {
        return rejected != null && rejected.servesLike(onDisk) && System.nanoTime() - rejectedAt < REJECTED_RETRY_NANOS;
    }

    /** A READY model's reason follows the disk: set while its files there would not load, cleared once they would. */
    private void noteWhatIsOnDisk(ModelEntry newer) {
        if (state == ModelState.READY && !java.util.Objects.equals(reason, servingDespite(newer.problem()))) {
            reason = servingDespite(newer.problem());
            revision.incrementAndGet();
        }
    }

    /** A READY model's reason: null, or why the files on disk now would not load. */
    private static String servingDespite(String problemOnDisk) {
        return problemOnDisk == null ? null : SERVES_DESPITE + problemOnDisk;
    }

    private static ModelState restingState(ModelEntry e) {
        return e.problem() != null ? ModelState.FAILED : e.manifest().isEnabled() ? ModelState.AVAILABLE : ModelState.DISABLED;
    }

    private static String restingReason(ModelEntry e) {
        return e.problem() != null ? e.problem() : e.manifest().isEnabled() ? null : "disabled in model.yaml";
    }

    /**
     * Takes a newer reading of the directory, in a stable state only. A model at rest follows it
     * when its files changed (a FAILED model keeps its reason until someone fixes them); a READY
     * model keeps serving its session, and the new files take effect at its next load. Files a READY
     * model could not load now (a bad hand edit of model.yaml, a half-copied model.onnx) are not
     * taken: it keeps the manifest it loaded with, and its reason says what the next load (a restart
     * included) would fail on, until the files are put right.
     */
    synchronized void update(ModelEntry newer) {
        requireStable("update");
        noteWhatIsOnDisk(newer);
        if (state == ModelState.READY && newer.problem() != null || newer.equals(entry)) {
            return;
        }
        entry = newer;
        revision.incrementAndGet();
        if (state == ModelState.READY) {
            return;
        }
        memoryBytes = null;
        memoryMeasured = false;
        ModelState resting = restingState(newer);
        if (resting != state || state == ModelState.FAILED) {
            moveTo(resting, restingReason(newer));
        } else {
            reason = restingReason(newer);
        }
    }

    /**
     * A newer reading that differs only in what steers traffic (routing, version policy): taken in
     * any state, since no session depends on it.
     */
    synchronized void retag(ModelEntry newer) {
        noteWhatIsOnDisk(newer);
        if (!newer.equals(entry)) {
            entry = newer;
            revision.incrementAndGet();
        }
    }

    /** {@link #update} unless a load or drain began meanwhile: then false, and nothing changed. */
    synchronized boolean updateIfStable(ModelEntry newer) {
        if (!state.isStable()) {
            return false;
        }
        update(newer);
        return true;
    }

    private void requireStable(String what) {
        if (!state.isStable()) {
            throw new IllegalStateException("model " + ref.label() + ": " + what + " while " + state);
        }
    }

    // ---- loads ----

    /**
     * Starts a load from AVAILABLE or FAILED, or joins the one under way. Null when the model cannot
     * load in its state (READY, DISABLED, UNLOADING, REMOVED); the caller answers for that state.
     */
    synchronized Load beginLoad() {
        if (state == ModelState.LOADING) {
            return new Load(loading, false);
        }
        if (state != ModelState.AVAILABLE && state != ModelState.FAILED) {
            return null;
        }
        moveTo(ModelState.LOADING, null);
        loading = new CompletableFuture<>();
        return new Load(loading, true);
    }

    /** The load under way, or null. */
    synchronized CompletableFuture<Void> pendingLoad() {
        return loading;
    }

    synchronized Runnable loadSucceeded(LoadedModel model, double seconds, long measuredBytes) {
        moveTo(ModelState.READY, null);
        failedLoads = 0;
        install(model, seconds, measuredBytes);
        return finishLoading(null);
    }

    /**
     * Whether a FAILED load is due another try when the repository is next followed: a file that could
     * not be read for a while (a restore, a storage hiccup) must not keep readiness down for good.
     * 10 s after the first failure, then twice as long each time, at most 10 minutes apart.
     */
    synchronized boolean retryDue() {
        if (state != ModelState.FAILED || failedLoads == 0) {
            return false;
        }
        long waitNanos = Math.min(RETRY_CAP_NANOS, RETRY_FIRST_NANOS << Math.min(failedLoads - 1, 16));
        return System.nanoTime() - lastFailedLoad >= waitNanos;
    }

    /** The load failed: FAILED with the reason, until the files change, someone loads it again, or a retry is due. */
    synchronized Runnable loadFailed(String why, Throwable cause) {
        moveTo(ModelState.FAILED, why);
        failedLoads++;
        lastFailedLoad = System.nanoTime();
        return finishLoading(cause);
    }

    /** The load was refused for lack of room: back to AVAILABLE (not FAILED), so the next request tries again. */
    synchronized Runnable loadRefused(String why, Throwable cause) {
        moveTo(ModelState.AVAILABLE, why);
        return finishLoading(cause);
    }

    private void install(LoadedModel model, double seconds, long measuredBytes) {
        session = model;
        loadCount++;
        lastLoadSeconds = seconds;
        memoryBytes = measuredBytes;
        memoryMeasured = true;
        inputs = model.inputs();
        outputs = model.outputs();
        lastProvider = model.executionProvider();
        lastFallbacks = model.fallbackReasons();
    }

    /** Ends the load under way without a state change: its waiters get {@code cause}. */
    synchronized Runnable abandonLoad(Throwable cause) {
        return loading == null ? () -> { } : finishLoading(cause);
    }

    private Runnable finishLoading(Throwable cause) {
        CompletableFuture<Void> f = loading;
        loading = null;
        return () -> {
            if (cause == null) {
                f.complete(null);
            } else {
                f.completeExceptionally(cause);
            }
        };
    }

    // ---- replace ----

    /**
     * Puts a new version's session in place of a READY one without a gap: leases from now on get
     * the new session. The old one is retired, and closed by its last lease's release (returned
     * here to close at once when it has none).
     */
    synchronized LoadedModel swap(ModelEntry newer, LoadedModel fresh, double seconds, long measuredBytes) {
        if (state != ModelState.READY) {
            throw new IllegalStateException("model " + ref.label() + ": swap while " + state);
        }
        moveTo(ModelState.READY, null);
        LoadedModel old = session;
        entry = newer;
        install(fresh, seconds, measuredBytes);
        if (leases.getOrDefault(old, 0) == 0) {
            return old;
        }
        retired.add(old);
        return null;
    }

    // ---- leases ----

    /** A lease on the session, or null when the model is not READY. */
    synchronized Lease tryLease(ModelRegistry owner) {
        if (state != ModelState.READY || session == null) {
            return null;
        }
        leases.merge(session, 1, Integer::sum);
        return new Lease(owner, this, session);
    }

    /**
     * Gives a lease back. When it was the last one on a retired session, or on a session being
     * drained, the returned work closes that session (the caller runs it outside the monitor).
     */
    synchronized Runnable release(LoadedModel model, ModelRegistry owner) {
        lastUsed = Instant.now();
        Integer left = leases.computeIfPresent(model, (m, n) -> n == 1 ? null : n - 1);
        if (left != null) {
            return null;
        }
        if (retired.remove(model)) {
            return () -> owner.closeSession(this, model, "replaced");
        }
        if (state == ModelState.UNLOADING && model == session && drain != null) {
            return finishDrain();
        }
        return () -> owner.idle(this);
    }

    synchronized int inFlight() {
        int n = 0;
        for (int c : leases.values()) {
            n += c;
        }
        return n;
    }

    synchronized boolean idleAndReady() {
        return state == ModelState.READY && leases.getOrDefault(session, 0) == 0;
    }

    // ---- unloads ----

    /**
     * Starts draining the READY session towards {@code target}, or joins the drain under way
     * (single flight: one drain, however many callers). The future completes with the session to
     * close once its last lease is released: at once when none is held. Null when there is no
     * session to drain.
     */
    synchronized DrainTicket beginDrain(ModelState target, String why) {
        if (state == ModelState.UNLOADING) {
            return new DrainTicket(drain.done(), false);
        }
        if (state != ModelState.READY) {
            return null;
        }
        moveTo(ModelState.UNLOADING, null);
        drain = new Drain(target, why, new CompletableFuture<>());
        CompletableFuture<LoadedModel> done = drain.done();
        if (leases.getOrDefault(session, 0) == 0) {
            finishDrain().run();
        }
        return new DrainTicket(done, true);
    }

    /** Drains only a READY model nobody is using: the drain is over before this returns. Null otherwise. */
    synchronized CompletableFuture<LoadedModel> drainIfIdle(ModelState target, String why) {
        if (!idleAndReady()) {
            return null;
        }
        return beginDrain(target, why).done();
    }

    synchronized ModelState drainTarget() {
        return drain != null ? drain.target() : null;
    }

    synchronized CompletableFuture<LoadedModel> pendingDrain() {
        return drain != null ? drain.done() : null;
    }

    private Runnable finishDrain() {
        Drain d = drain;
        LoadedModel out = session;
        drain = null;
        session = null;
        moveTo(d.target(), d.reason());
        return () -> d.done().complete(out);
    }

    /** A drain that took too long gives up: back to READY, and its waiters are told so. */
    synchronized Drain abandonDrain() {
        if (drain == null || drain.done().isDone()) {
            return null;
        }
        Drain d = drain;
        drain = null;
        moveTo(ModelState.READY, null);
        return d;
    }

    /**
     * Ends the hold a replace put on an unloaded model while its files moved: the new version's
     * entry takes effect, with the prepared session when one is given (READY), else at rest.
     * Requests that waited retry when the returned work runs.
     */
    synchronized Runnable finishHold(ModelEntry newer, LoadedModel adopted, double seconds, long measuredBytes) {
        entry = newer;
        memoryBytes = null;
        memoryMeasured = false;
        if (adopted != null) {
            moveTo(ModelState.READY, null);
            install(adopted, seconds, measuredBytes);
        } else {
            moveTo(restingState(newer), restingReason(newer));
        }
        return finishLoading(null);
    }

    /**
     * From a resting state (no session, nothing under way) to DISABLED or REMOVED, in one step
     * with the check: false when a request started a load since the caller last looked (loads do
     * not take the name's lock), and the caller waits for it and decides again.
     */
    synchronized boolean restIfStable(ModelState target, String why) {
        if (!state.isStable() || session != null) {
            return false;
        }
        if (state != target) {
            moveTo(target, why);
        } else {
            reason = why;
        }
        return true;
    }

    /** Leaves DISABLED for the state the directory calls for (AVAILABLE, or FAILED when it is broken). */
    synchronized void enableFrom(ModelEntry newer) {
        entry = newer;
        if (state == ModelState.DISABLED) {
            ModelState resting = restingState(newer);
            moveTo(resting == ModelState.DISABLED ? ModelState.AVAILABLE : resting, restingReason(newer));
        }
    }

    /** The memory a warm-up made the session take on top of what its load took. */
    synchronized void addMemory(long bytes) {
        if (memoryBytes != null && bytes > 0) {
            memoryBytes += bytes;
        }
    }

    synchronized Long memoryBytes() {
        return memoryBytes;
    }

    synchronized Instant lastUsedOrLoaded() {
        return lastUsed != null ? lastUsed : session != null ? session.loadedAt() : Instant.EPOCH;
    }

    synchronized ModelStatus snapshot(Duration keepAlive, long estimatedBytes) {
        Instant loadedAt = session != null ? session.loadedAt() : null;
        Instant expiresAt = state == ModelState.READY && keepAlive != null && loadedAt != null
                ? (lastUsed != null && lastUsed.isAfter(loadedAt) ? lastUsed : loadedAt).plus(keepAlive) : null;
        return new ModelStatus(entry, state, reason, session != null ? session.executionProvider() : lastProvider,
                lastFallbacks, inputs, outputs, inFlight(), loadedAt, loadCount, lastLoadSeconds,
                memoryBytes != null ? memoryBytes : estimatedBytes, memoryMeasured && memoryBytes != null,
                lastUsed, expiresAt, keepAlive);
    }
}
