package dev.kiln.registry;

import dev.kiln.catalog.ExternalDataCheck;
import dev.kiln.catalog.ModelDirectory;
import dev.kiln.files.LockFile;
import dev.kiln.catalog.ModelEntry;
import dev.kiln.catalog.ModelManifest;
import dev.kiln.catalog.ModelName;
import dev.kiln.catalog.ModelRef;
import dev.kiln.catalog.ModelRepository;
import dev.kiln.config.AiModelsConfig;
import dev.kiln.errors.KilnError;
import dev.kiln.registry.ModelLifecycleEvent.Kind;
import dev.kiln.runtime.LoadedModel;
import dev.kiln.runtime.OnnxEngine;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The one owner of model lifecycle: it alone opens and closes ONNX Runtime sessions, moves a
 * model's files into place, decides what stays resident under the memory budget and unloads idle
 * models. Everything else asks it for a {@link Lease} (to run a model) or for a change.
 * <p>
 * Each version a model's {@code version_policy} serves is a slot of its own (state, leases,
 * memory, keep-alive, eviction); the name's lock covers all of a model's versions, and a model's
 * files and manifest are followed as one directory ({@link #reconcile}).
 */
@ApplicationScoped
public class ModelRegistry {

    private static final Logger LOG = Logger.getLogger(ModelRegistry.class);
    /** How often one request tries again when its model is unloaded again right after its load. */
    private static final int LEASE_ATTEMPTS = 3;

    private final ModelRepository repository;
    private final OnnxEngine engine;
    private final Event<ModelLifecycleEvent> events;
    /** Moves on with every change of a model's state or entry, and with every model added or removed. */
    private final AtomicLong revision = new AtomicLong();
    private final MemoryBudget memory;
    private final ResidencyPolicy residency;
    private final KeepAlive keepAlive;
    private final Duration drainTimeout;
    private final ConcurrentSkipListMap<ModelRef, ModelSlot> slots = new ConcurrentSkipListMap<>();
    /** Each model's directory as last read under its lock: its manifest (routing included) and every version on disk. */
    private final Map<String, ModelDirectory> directories = new ConcurrentHashMap<>();
    private final NameLocks locks;
    /** How long a change waits for another replica's change of the same name (a drain, an open). */
    private final Duration changeWait;
    /** How long a load waits for another replica's change of its files before it answers 503. */
    private static final Duration LOAD_WAIT = Duration.ofSeconds(5);
    /** How long a rescan waits for one name another replica is changing: it looks again next time. */
    private static final Duration FOLLOW_WAIT = Duration.ofSeconds(1);
    /** One admission decision (room, evictions, reservation) at a time. */
    private final Object admission = new Object();
    /** One resident-memory measurement at a time, so a delta belongs to one model. */
    private final Object measuring = new Object();
    private final Map<LoadedModel, MemoryBudget.Charge> charges = new ConcurrentHashMap<>();
    private final AtomicInteger openSessions = new AtomicInteger();
    private final ExecutorService loader;
    private final ScheduledExecutorService sweeper;
    private final Duration sweepEvery;
    private volatile boolean stopping;
    private final Duration arrivalGrace;
    /** The end (System.nanoTime) of each late arrival's grace, until it has been READY or the grace is long over. */
    private final Map<ModelRef, Long> graceEnds = new ConcurrentHashMap<>();
    private static final long FORGET_GRACE_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(10);
    /** Asked which enabled pipelines need a model before it is uninstalled or disabled (a field: optional, and it depends on this). */
    @jakarta.inject.Inject
    Instance<Composites> composites;

    public ModelRegistry(ModelRepository repository, OnnxEngine engine, AiModelsConfig config,
                         Event<ModelLifecycleEvent> events, MemoryBudget memory, ResidencyPolicy residency) {
        this.repository = repository;
        this.engine = engine;
        this.events = events;
        this.memory = memory;
        this.residency = residency;
        this.keepAlive = new KeepAlive(config);
        this.drainTimeout = config.registry().drainTimeout();
        this.locks = new NameLocks(repository);
        this.changeWait = drainTimeout.multipliedBy(2).plusSeconds(60);
        this.sweepEvery = config.registry().sweepInterval();
        this.arrivalGrace = config.registry().arrivalGrace();
        this.loader = Executors.newFixedThreadPool(Math.max(1, config.registry().loadThreads()), daemon("kiln-loader-"));
        this.sweeper = Executors.newSingleThreadScheduledExecutor(daemon("kiln-keep-alive-"));
    }

    private static java.util.concurrent.ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    void onStart(@Observes @Priority(10) StartupEvent ev) {
        repository.recover();
        rescan(false, changeWait);
        long every = Math.max(50, sweepEvery.toMillis());
        sweeper.scheduleWithFixedDelay(this::sweepIdle, every, every, TimeUnit.MILLISECONDS);
        LOG.infof("model repository %s: %d model(s); memory budget %d MiB (%s)", repository.root(), slots.size(),
                MemoryBudget.mib(memory.budgetBytes()), memory.source());
    }

    /** Runs after the HTTP layer and the inference workers have finished their requests. */
    void onStop(@Observes @Priority(100) ShutdownEvent ev) {
        stopping = true;
        sweeper.shutdownNow();
        for (ModelSlot slot : slots.values()) {
            try {
                drainAndWait(slot, ModelState.AVAILABLE, "Kiln is shutting down", ModelLifecycleEvent.SHUTDOWN);
            } catch (RuntimeException e) {
                LOG.warnf("model %s not unloaded cleanly at shutdown: %s", slot.ref(), e.getMessage());
            }
        }
        loader.shutdownNow();
    }

    // ---- reads ----

    /**
     * A number that changes whenever anything {@link #list()} reports about states, entries or the
     * set of models changes (not usage counters): views built from the list can be cached against it.
     */
    public long revision() {
        return revision.get();
    }

    /** Every served version of every model, by name then version. */
    public List<ModelStatus> list() {
        return slots.values().stream().map(this::status).toList();
    }

    /**
     * The models (each version that must be resident) that hold readiness back, by name ({@code name/2}
     * for other versions than 1): not READY, and not a late arrival within its grace. Empty: ready.
     */
    public List<String> requiredNotReady() {
        long now = System.nanoTime();
        List<ModelStatus> counted = new ArrayList<>();
        for (ModelSlot slot : slots.values()) {
            ModelStatus model = status(slot);
            if (model.loadCount() > 0) {
                graceEnds.remove(slot.ref()); // it has been READY: no grace any more
            } else if (inGrace(slot.ref(), now)) {
                continue;
            }
            counted.add(model);
        }
        return residency.notReady(counted);
    }

    private boolean inGrace(ModelRef ref, long now) {
        Long end = graceEnds.get(ref);
        return end != null && end - now > 0;
    }

    /**
     * Starts a late arrival's grace: one per model version until it has been READY, so a broken folder
     * that comes and goes does not start a new one each time it comes back. A grace ended ten minutes
     * ago is forgotten: a new install of the name, later, gets its own.
     */
    private void startGrace(ModelRef ref) {
        long now = System.nanoTime();
        graceEnds.values().removeIf(end -> now - end > FORGET_GRACE_NANOS);
        graceEnds.putIfAbsent(ref, now + arrivalGrace.toNanos());
    }

    /** Every model with its served versions and the numbers of all it has on disk, by name. */
    public List<ModelVersions> models() {
        return ModelVersions.group(list(), directories);
    }

    public Optional<ModelVersions> model(String name) {
        List<ModelStatus> served = ModelName.isValid(name) ? slotsOf(name).stream().map(this::status).toList() : List.of();
        return served.isEmpty() ? Optional.empty() : Optional.of(ModelVersions.group(served, directories).get(0));
    }

    /** The model's highest served version (where its calls go when nothing routes them). */
    public Optional<ModelStatus> find(String name) {
        List<ModelSlot> mine = ModelName.isValid(name) ? slotsOf(name) : List.of();
        return mine.isEmpty() ? Optional.empty() : Optional.of(status(mine.get(mine.size() - 1)));
    }

    /**
     * The version a pipeline runs of this model: its stable one (ModelVersions.stable), never split
     * by weights, so a canary with another signature cannot break a pipeline that uses the model.
     */
    public Optional<ModelStatus> findStable(String name) {
        return model(name).map(m -> m.version(m.stable()).orElse(m.highest()));
    }

    public Optional<ModelStatus> find(String name, int version) {
        ModelSlot slot = ModelName.isValid(name) ? slots.get(new ModelRef(name, version)) : null;
        return Optional.ofNullable(slot).map(this::status);
    }

    public ModelStatus status(String name) {
        return find(ModelName.require(name)).orElseThrow(() -> new ModelNotFoundException(name));
    }

    public ModelStatus status(String name, int version) {
        return status(slot(name, version));
    }

    private ModelStatus status(ModelSlot slot) {
        ModelEntry entry = slot.entry();
        return slot.snapshot(keepAliveOf(slot, entry), memory.estimate(entry, null));
    }

    /** Null when the model is never unloaded for being idle: required models, and keep_alive -1. */
    private Duration keepAliveOf(ModelSlot slot, ModelEntry entry) {
        return residency.required(entry, slot.state()) ? null : keepAlive.of(entry);
    }

    /** Sessions open now (serving, draining, retired or prepared): what a leak would show in. */
    public int openSessions() {
        return openSessions.get();
    }

    // ---- leases ----

    /**
     * A lease on a ready model, loading it first when it is merely unloaded. A request that needs a
     * load waits on the load's future, not in a thread: every caller of a loading model shares one
     * load (single flight).
     */
    public CompletableFuture<Lease> lease(String name, int version) {
        return lease(slot(name, version), LEASE_ATTEMPTS);
    }

    /** A lease on the model's stable version (a pipeline's). */
    public CompletableFuture<Lease> lease(String name) {
        return lease(name, findStable(ModelName.require(name)).orElseThrow(() -> new ModelNotFoundException(name)).version());
    }

    private CompletableFuture<Lease> lease(ModelSlot slot, int attempts) {
        Lease lease = slot.tryLease(this);
        if (lease != null) {
            return CompletableFuture.completedFuture(lease);
        }
        KilnError refusal = refusal(slot, attempts);
        if (refusal != null) {
            return CompletableFuture.failedFuture(refusal);
        }
        return startLoad(slot, true).thenCompose(loaded -> lease(slot, attempts - 1));
    }

    /** The answer for a model that cannot serve in its state, or null when a load may help. */
    private KilnError refusal(ModelSlot slot, int attempts) {
        String name = slot.ref().label();
        return switch (slot.state()) {
            case DISABLED -> new ModelConflictException("model " + name + " is disabled: " + slot.reason());
            case FAILED -> new ModelUnavailableException("model " + name + " failed to load: " + slot.reason(), null);
            case UNLOADING -> slot.drainTarget() == ModelState.AVAILABLE
                    ? new ModelUnavailableException("model " + name + " is unloading; retry", 1)
                    : leaving(slot) ? KilnError.notFound("model " + name + " is not served: version_policy "
                    + directories.get(slot.name()).manifest().policy().text() + " leaves it out (it finishes the requests it has)")
                    : new ModelConflictException("model " + name + " is being disabled or uninstalled");
            case REMOVED -> new ModelNotFoundException(slot.name());
            case READY, AVAILABLE, LOADING -> attempts <= 0
                    ? new ModelUnavailableException("model " + name + " was unloaded while this request waited; retry", 1)
                    : null;
        };
    }

    /** A version drained because the model's policy dropped it, while the model itself stays. */
    private boolean leaving(ModelSlot slot) {
        ModelDirectory dir = directories.get(slot.name());
        return dir != null && dir.numbers().contains(slot.version()) && !dir.serves(slot.version());
    }

    /** A lease only when the model is READY now: never a load (the warm-up's rehearsal must not bring back what was unloaded). */
    public CompletableFuture<Lease> leaseIfLoaded(String name, int version) {
        ModelSlot slot = slot(name, version);
        Lease lease = slot.tryLease(this);
        return lease != null ? CompletableFuture.completedFuture(lease)
                : CompletableFuture.failedFuture(new ModelUnavailableException("model " + slot.ref().label() + " is not loaded", null));
    }

    /** The blocking form, for callers on their own threads (warm-up). */
    public Lease acquire(String name, int version) {
        return await(lease(name, version), name, Duration.ofMinutes(10));
    }

    /** The blocking form on the model's highest served version. */
    public Lease acquire(String name) {
        return acquire(name, status(name).version());
    }

    // ---- loads ----

    /**
     * Loads the model (or waits for the load under way) and returns its status after. A model
     * directory that appeared since the last scan is picked up by its name, as Triton's explicit
     * load does. A load refused for lack of memory is a 507 with the numbers.
     */
    public ModelStatus load(String name) {
        List<ModelSlot> mine = slotsOf(ModelName.require(name));
        if (mine.isEmpty()) {
            mine = discover(name);
        }
        ModelStatus answer = null;
        for (ModelSlot slot : mine) {
            ModelStatus loaded = load(slot);
            // The highest version answers, unless one failed: then the caller hears about that one.
            if (answer == null || answer.state() != ModelState.FAILED) {
                answer = loaded;
            }
        }
        return answer;
    }

    private ModelStatus load(ModelSlot slot) {
        String name = slot.name();
        if (slot.state() == ModelState.DISABLED) {
            throw new ModelConflictException("model '" + name + "' is disabled: enable it before loading");
        }
        awaitDrain(slot);
        try {
            await(startLoad(slot, false), name, Duration.ofMinutes(10));
        } catch (KilnError e) {
            if (e.kind() != KilnError.Kind.UNAVAILABLE) {
                throw e;
            }
        }
        if (slot.state() == ModelState.REMOVED) {
            throw new ModelNotFoundException(name);
        }
        return status(slot);
    }

    private CompletableFuture<Void> startLoad(ModelSlot slot, boolean onDemand) {
        if (stopping) {
            return CompletableFuture.failedFuture(new ModelUnavailableException("Kiln is shutting down", 5));
        }
        ModelSlot.Load load = slot.beginLoad();
        if (load == null) {
            return CompletableFuture.completedFuture(null);
        }
        if (load.started()) {
            ModelEntry entry = slot.entry();
            try {
                loader.execute(() -> runLoadLocked(slot, entry, onDemand));
            } catch (RejectedExecutionException e) {
                slot.loadRefused("Kiln is shutting down", new ModelUnavailableException("Kiln is shutting down", 5)).run();
            }
        }
        return load.future();
    }

    /**
     * A load reads the model's files under the name's lock file (joining this process's hold), so
     * another replica never changes them mid-read. Files that are missing or held by another
     * replica's change are not a failure: the model stays AVAILABLE and the request may retry.
     */
    private void runLoadLocked(ModelSlot slot, ModelEntry entry, boolean onDemand) {
        LockFile.Held files;
        try {
            files = locks.filesOnly(slot.name(), LOAD_WAIT);
        } catch (LockFile.Busy busy) {
            refuseLoad(slot, "model '" + slot.name() + "' is being changed by another replica (" + busy.holder() + "); retry");
            return;
        }
        try (files) {
            if (!Files.isRegularFile(entry.modelFile())) {
                refuseLoad(slot, "the files of model '" + slot.name() + "' are being changed; retry");
                return;
            }
            runLoad(slot, entry, onDemand);
        }
    }

    private void refuseLoad(ModelSlot slot, String why) {
        LOG.infof("%s", why);
        ending(slot, () -> slot.loadRefused(why, new ModelUnavailableException(why, 1)), null).run();
    }

    private void runLoad(ModelSlot slot, ModelEntry entry, boolean onDemand) {
        long start = System.nanoTime();
        MemoryBudget.Charge room = null;
        Opened opened;
        try {
            if (entry.problem() != null) {
                throw new IllegalStateException(entry.problem());
            }
            room = admit(slot.ref(), memory.estimate(entry, slot.memoryBytes()), true);
            opened = open(entry, room);
        } catch (KilnError e) {
            memory.release(room);
            LOG.warnf("model %s not loaded: %s", entry.ref(), e.getMessage());
            ending(slot, () -> slot.loadRefused(e.getMessage(), e), null).run();
            return;
        } catch (Throwable e) {
            memory.release(room);
            String why = e.getMessage() != null ? e.getMessage() : e.getClass().getName();
            LOG.errorf("model %s failed to load: %s", entry.ref(), why);
            ModelUnavailableException failed = new ModelUnavailableException("model " + entry.ref().label() + " failed to load: " + why, null);
            Runnable done = ending(slot, () -> slot.loadFailed(why, failed), null);
            fire(slot, Kind.LOAD_FAILED, (System.nanoTime() - start) / 1e9, onDemand, why);
            done.run();
            return;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Runnable done = ending(slot, () -> slot.loadSucceeded(opened.model(), seconds, opened.bytes()), opened.model());
        LOG.infof("loaded %s on %s in %.2fs (%d MiB)%s", entry.ref(), opened.model().executionProvider(), seconds,
                MemoryBudget.mib(opened.bytes()), onDemand ? " (on demand)" : "");
        fire(slot, Kind.LOADED, seconds, onDemand, null);
        done.run();
    }

    private record Opened(LoadedModel model, long bytes) {
    }

    /**
     * Ends a load through the slot's transition. Only the loader moves a model out of LOADING; if
     * the slot refuses the move anyway (a bug), the session the load opened is closed and the
     * requests waiting for the load still hear, instead of a leaked session and waiters left hanging.
     */
    private Runnable ending(ModelSlot slot, java.util.function.Supplier<Runnable> transition, LoadedModel opened) {
        try {
            return transition.get();
        } catch (IllegalTransitionException e) {
            LOG.errorf("model %s: %s; its load is abandoned", slot.name(), e.getMessage());
            if (opened != null) {
                closeUnused(opened);
            }
            return slot.abandonLoad(new ModelUnavailableException("model '" + slot.name() + "' changed while it loaded; retry", 1));
        }
    }

    /** Closes a session that never served (a prepared replacement not used, an abandoned load). */
    private void closeUnused(LoadedModel model) {
        model.close();
        openSessions.decrementAndGet();
        memory.release(charges.remove(model));
    }

    /**
     * Opens a session and measures what it took: the resident-memory delta, one model at a time,
     * with the model file's size as a floor (a session holds at least its weights; the delta reads
     * low when the allocator reuses memory an earlier session gave back).
     */
    private Opened open(ModelEntry entry, MemoryBudget.Charge room) throws Exception {
        try {
            // Again here, not only at the scan: a file may have changed since (a symlink swapped in).
            String unconfined = ExternalDataCheck.problem(entry.modelFile());
            if (unconfined != null) {
                throw new IllegalStateException(unconfined);
            }
            synchronized (measuring) {
                long before = ResidentMemory.bytes();
                LoadedModel model = engine.open(entry);
                openSessions.incrementAndGet();
                long after = ResidentMemory.bytes();
                long bytes = Math.max(before < 0 || after < 0 ? 0 : after - before, Files.size(entry.modelFile()));
                memory.adjust(room, bytes);
                charges.put(model, room);
                return new Opened(model, bytes);
            }
        } catch (Exception | Error e) {
            memory.release(room);
            throw e;
        }
    }

    /**
     * Runs a model's warm-up on a lease already held and adds what it made the session take (arena
     * growth, caches) to the model's measured memory. The work must not wait for anything: loads
     * wait for this measurement.
     */
    public <T> T measureWarmup(Lease lease, Callable<T> warmup) throws Exception {
        ModelSlot slot = lease.slot();
        synchronized (measuring) {
            long before = ResidentMemory.bytes();
            T result = warmup.call();
            long after = ResidentMemory.bytes();
            if (before >= 0 && after > before) {
                slot.addMemory(after - before);
            }
            return result;
        }
    }

    /**
     * Runs work that gives memory back (a collection, a trim) between measurements, so that what it
     * frees is not taken off the size of a model being opened or warmed at the same time.
     */
    public void outsideMeasurements(Runnable work) {
        synchronized (measuring) {
            work.run();
        }
    }

    // ---- memory ----

    /**
     * Room for a model of {@code need} bytes: least-recently-used idle models that are neither
     * pinned nor required for readiness are unloaded until it fits; if it still does not, a 507
     * that says how much was needed, how much is free, and what could not be unloaded and why.
     * A session opened to validate or replace a model takes memory but no place among
     * max-loaded-models ({@code resident} false): it is not one more model.
     */
    private MemoryBudget.Charge admit(ModelRef ref, long need, boolean resident) {
        synchronized (admission) {
            List<String> kept = new ArrayList<>();
            while (true) {
                boolean room = need <= memory.free();
                boolean count = !resident || memory.maxLoadedModels().isEmpty()
                        || residentOtherThan(ref) < memory.maxLoadedModels().getAsInt();
                if (room && count) {
                    return memory.charge(ref.toString(), need);
                }
                kept.clear();
                if (!evictOne(ref, kept, "to make room for " + ref.label())) {
                    throw insufficient(ref, need, room, kept);
                }
            }
        }
    }

    private KilnError insufficient(ModelRef ref, long need, boolean room, List<String> kept) {
        String name = ref.label();
        String what = room
                ? name + " would be model number " + (residentOtherThan(ref) + 1) + " and ai.models.memory.max-loaded-models is "
                + memory.maxLoadedModels().getAsInt()
                : name + " needs about " + MemoryBudget.mib(need) + " MiB; " + MemoryBudget.mib(memory.free()) + " MiB of the "
                + MemoryBudget.mib(memory.budgetBytes()) + " MiB budget (" + memory.source() + ") is free";
        return new KilnError(KilnError.Kind.INSUFFICIENT_MEMORY, what
                + (kept.isEmpty() ? "; no other model is loaded" : "; could not unload " + String.join(", ", kept))
                + ". Unload a model, raise the budget, or retry when a model is idle", 5, null);
    }

    private int residentOtherThan(ModelRef ref) {
        int n = 0;
        for (ModelSlot s : slots.values()) {
            ModelState state = s.state();
            if (!s.ref().equals(ref) && (state == ModelState.READY || state == ModelState.LOADING || state == ModelState.UNLOADING)) {
                n++;
            }
        }
        return n;
    }

    /** Unloads the least recently used model that may go; false when none may, with each one's reason in {@code kept}. */
    private boolean evictOne(ModelRef forRef, List<String> kept, String why) {
        List<ModelSlot> ready = slots.values().stream()
                .filter(s -> !s.ref().equals(forRef) && s.state() == ModelState.READY)
                .sorted(Comparator.comparing(ModelSlot::lastUsedOrLoaded)).toList();
        for (ModelSlot s : ready) {
            ModelStatus st = status(s);
            String who = s.ref().plainLabel();
            if (residency.required(st.entry(), st.state())) {
                kept.add(who + " (required for readiness)");
            } else if (st.pinned()) {
                kept.add(who + " (pinned)");
            } else if (st.inFlight() > 0) {
                kept.add(who + " (" + st.inFlight() + " request(s) in flight)");
            } else if (!unloadIfIdle(s, ModelLifecycleEvent.BUDGET, "unloaded " + why)) {
                kept.add(who + " (busy: being changed or in use)");
            } else {
                return true;
            }
        }
        return false;
    }

    /** Unloads the model now if nobody holds its lock or a lease on it; never waits. */
    private boolean unloadIfIdle(ModelSlot slot, String tag, String why) {
        NameLocks.Held held = locks.tryHold(slot.name());
        if (held == null) {
            return false;
        }
        try (held) {
            CompletableFuture<LoadedModel> drained = slot.drainIfIdle(ModelState.AVAILABLE, why);
            if (drained == null) {
                return false;
            }
            closeSession(slot, drained.join(), tag);
            LOG.infof("%s: %s", slot.ref(), why);
            return true;
        }
    }

    /** Keep-alive: idle models that are not required go when their time is up. */
    void sweepIdle() {
        Instant now = Instant.now();
        for (ModelSlot slot : slots.values()) {
            try {
                ModelStatus st = status(slot);
                if (st.expiresAt() != null && !now.isBefore(st.expiresAt()) && st.inFlight() == 0) {
                    unloadIfIdle(slot, ModelLifecycleEvent.KEEP_ALIVE, "unloaded after keep_alive " + st.keepAlive()
                            + " without requests");
                }
            } catch (RuntimeException e) {
                LOG.warnf("keep-alive check of %s failed: %s", slot.ref(), e.getMessage());
            }
        }
    }

    /** The last lease on a serving session was released: a keep_alive of 0 unloads now. */
    void idle(ModelSlot slot) {
        Duration ka = keepAliveOf(slot, slot.entry());
        if (ka != null && ka.isZero() && !stopping) {
            try {
                sweeper.execute(this::sweepIdle);
            } catch (RejectedExecutionException e) {
                // Shutting down: every session closes anyway.
            }
        }
    }

    /** Closes a session nobody can reach any more, and gives its memory back to the budget. */
    void closeSession(ModelSlot slot, LoadedModel session, String why) {
        session.close();
        openSessions.decrementAndGet();
        memory.release(charges.remove(session));
        fire(slot, Kind.UNLOADED, 0, false, why);
    }

    // ---- changes under the name's lock ----

    /** Unloads every version after in-flight requests drain; 409 when they do not drain within the timeout. */
    public ModelStatus unload(String name) {
        try (NameLocks.Held held = locks.hold(ModelName.require(name))) {
            List<ModelSlot> mine = slotsOf(name);
            if (mine.isEmpty()) {
                throw new ModelNotFoundException(name);
            }
            for (ModelSlot slot : mine) {
                do {
                    awaitStable(slot);
                } while (!drainAndWait(slot, ModelState.AVAILABLE, "unloaded by an operator", ModelLifecycleEvent.ADMIN)
                        && slot.state() == ModelState.LOADING);
            }
            return status(last(mine));
        }
    }

    /** Drains and unloads every version, then keeps the model refusing requests (409) until enabled again. */
    public ModelStatus disable(String name) {
        try (NameLocks.Held held = locks.holdForChange(ModelName.require(name), changeWait)) {
            List<ModelSlot> mine = present(name);
            mine.forEach(this::awaitStable);
            if (mine.stream().allMatch(s -> s.state() == ModelState.DISABLED)) {
                return status(last(mine));
            }
            refuseWhileNeeded(name, "disable");
            repository.requireReadableManifest(name);
            for (ModelSlot slot : mine) {
                settle(slot, ModelState.DISABLED, "disabled by an operator");
            }
            repository.writeManifest(name, directory(name).manifest().withEnabled(false));
            refresh(name, ModelSlot::update);
            return status(last(mine));
        }
    }

    /** Makes the model loadable again; the caller decides whether to load it now. */
    public ModelStatus enable(String name) {
        try (NameLocks.Held held = locks.holdForChange(ModelName.require(name), changeWait)) {
            List<ModelSlot> mine = present(name);
            mine.forEach(this::awaitStable);
            if (mine.stream().noneMatch(s -> s.state() == ModelState.DISABLED)) {
                return status(last(mine));
            }
            repository.writeManifest(name, directory(name).manifest().withEnabled(true));
            refresh(name, ModelSlot::enableFrom);
            return status(last(mine));
        }
    }

    /**
     * Drains and unloads every version, removes the model's files and forgets it. In-flight requests
     * finish normally; new ones get 409 while it drains and 404 afterwards.
     */
    public void uninstall(String name) {
        try (NameLocks.Held held = locks.holdForChange(ModelName.require(name), changeWait)) {
            List<ModelSlot> mine = present(name);
            refuseWhileNeeded(name, "uninstall");
            for (ModelSlot slot : mine) {
                awaitStable(slot);
                forget(slot, "uninstalled");
            }
            repository.delete(name);
            forgetDirectory(name);
        }
    }

    /**
     * Drains and forgets one version and removes its files; the model's other versions serve on.
     * Refused (409) for a model's only version, and for a version its routing still names.
     */
    public ModelVersions uninstall(String name, int version) {
        try (NameLocks.Held held = locks.holdForChange(ModelName.require(name), changeWait)) {
            present(name);
            VersionChanges.checkUninstall(directory(name), version);
            ModelSlot slot = slots.get(new ModelRef(name, version));
            if (slot != null) {
                awaitStable(slot);
                forget(slot, "uninstalled");
            }
            repository.deleteVersion(name, version);
            reconcile(name, true);
            return model(name).orElseThrow(() -> new ModelNotFoundException(name));
        }
    }

    /**
     * Changes the model's manifest under its locks and follows it at once: a new version policy
     * loads and unloads versions (a version that leaves drains its requests first), new routing
     * takes effect without touching a session. {@code change} gets the directory as it is now and
     * may refuse with a KilnError; the result is checked as a manifest read from disk would be.
     */
    public ModelVersions changeManifest(String name, Function<ModelDirectory, ModelManifest> change) {
        try (NameLocks.Held held = locks.holdForChange(ModelName.require(name), changeWait)) {
            present(name);
            ModelDirectory dir = directory(name);
            ModelManifest next = change.apply(dir);
            if (!next.equals(dir.manifest())) {
                String problem = repository.problems(name, next);
                if (problem != null) {
                    throw KilnError.invalid(problem);
                }
                repository.writeManifest(name, next);
                reconcile(name, true);
            }
            return model(name).orElseThrow(() -> new ModelNotFoundException(name));
        }
    }

    /** 409 naming the enabled pipelines that run the model: they would break under it. */
    private void refuseWhileNeeded(String name, String change) {
        List<String> users = composites != null && composites.isResolvable() ? composites.get().needing(name) : List.of();
        if (!users.isEmpty()) {
            throw new ModelConflictException("model '" + name + "' is used by the enabled pipeline" + (users.size() > 1 ? "s " : " ")
                    + String.join(", ", users) + ": disable or uninstall " + (users.size() > 1 ? "them" : "it") + " before you "
                    + change + " this model");
        }
    }

    private void forget(ModelSlot slot, String why) {
        settle(slot, ModelState.REMOVED, why);
        slots.remove(slot.ref(), slot);
        revision.incrementAndGet();
        fire(slot, Kind.REMOVED, 0, false, why);
    }

    /**
     * Reads the repository again and follows it: new directories appear (loaded when they must be
     * resident), changed ones are followed, removed ones are drained and dropped, and what a writer
     * that died left behind is put right. Each name is settled under its locks across replicas, so a
     * replace moving a directory, here or in another replica, is never mistaken for a removal.
     */
    public List<ModelStatus> rescan() {
        return rescan(true, FOLLOW_WAIT);
    }

    /**
     * At startup new directories are only registered (the startup warm-up loads them once the port
     * is bound), and a name another replica is changing is waited for: a model missing from the first
     * scan would be missing from readiness too. Later a busy name is left for the next pass.
     */
    private List<ModelStatus> rescan(boolean loadArrivals, Duration wait) {
        repository.sweepAbandoned();
        // A copy first: a set built straight from the live key set fails when a name comes or goes meanwhile.
        TreeSet<String> names = new TreeSet<>();
        List.copyOf(slots.keySet()).forEach(ref -> names.add(ref.name()));
        names.addAll(repository.names());
        names.addAll(repository.leftoverNames());
        for (String name : names) {
            try (NameLocks.Held held = locks.holdAcrossReplicas(name, wait)) {
                reconcile(name, loadArrivals);
            } catch (KilnError e) {
                LOG.debugf("rescan left %s as it was: %s", name, e.getMessage());
            } catch (RuntimeException e) {
                LOG.warnf("rescan left %s as it was: %s", name, e.getMessage());
            }
        }
        return list();
    }

    /** The model's served versions, after following the repository; 404 when it has no directory. The caller holds its locks. */
    private List<ModelSlot> present(String name) {
        List<ModelSlot> mine = reconcile(name, true);
        if (mine.isEmpty()) {
            throw new ModelNotFoundException(name);
        }
        return mine;
    }

    /**
     * Brings this replica's view of one name in line with the repository, under the name's locks
     * across replicas: leftovers of a writer that died are put right first; then a model that
     * appeared is added, one whose directory went is drained and forgotten, and for one that is
     * there each version its policy serves is added or followed ({@link #follow}), before each
     * version it no longer serves is drained and forgotten. A change of routing alone touches no
     * session. Returns the slots of the served versions, empty when the name has no model.
     */
    private List<ModelSlot> reconcile(String name, boolean loadArrivals) {
        repository.cleanLeftovers(name);
        Optional<ModelDirectory> onDisk = repository.find(name);
        if (onDisk.isEmpty()) {
            for (ModelSlot slot : slotsOf(name)) {
                awaitStable(slot);
                forget(slot, "directory removed");
            }
            forgetDirectory(name);
            return List.of();
        }
        ModelDirectory dir = onDisk.get();
        remember(dir);
        List<ModelEntry> served = dir.served();
        for (ModelEntry entry : served) {
            ModelSlot slot = slots.get(entry.ref());
            if (slot == null) {
                arrive(entry, loadArrivals);
            } else if (slot.entry().servesLike(entry)) {
                slot.retag(entry);
                retryFailedLoad(slot, entry);
            } else {
                follow(slot, entry);
            }
        }
        for (ModelSlot slot : slotsOf(name)) {
            if (served.stream().noneMatch(e -> e.version() == slot.version())) {
                awaitStable(slot);
                forget(slot, dir.numbers().contains(slot.version())
                        ? "not served by version_policy " + dir.manifest().policy().text() : "its directory was removed");
            }
        }
        return slotsOf(name);
    }

    /** A model that must be resident and whose load failed with files that did not change is tried again, with a backoff. */
    private void retryFailedLoad(ModelSlot slot, ModelEntry entry) {
        if (entry.problem() == null && entry.manifest().isEnabled() && residency.required(entry, ModelState.AVAILABLE) && slot.retryDue()) {
            LOG.infof("%s: trying its load again (%s)", slot.ref(), slot.reason());
            startLoad(slot, false);
        }
    }

    /**
     * A directory that changed, by another replica or by hand: disabled in its manifest, it drains
     * and refuses; enabled again, it comes back (loaded first when it must be resident, so readiness
     * never dips); new files of a serving model are opened next to the old session and swapped in
     * as a replace does, or, without room for both, the old one drains and the new one loads.
     */
    private void follow(ModelSlot slot, ModelEntry entry) {
        awaitStable(slot);
        ModelState state = slot.state();
        boolean enabled = entry.manifest().isEnabled();
        if (entry.problem() == null && !enabled && state != ModelState.DISABLED) {
            settle(slot, ModelState.DISABLED, "disabled in model.yaml");
            slot.update(entry);
        } else if (enabled && state == ModelState.DISABLED) {
            Replacement prepared = residency.required(entry, ModelState.AVAILABLE) ? tryPrepare(entry) : null;
            slot.enableFrom(entry);
            adoptOrLoad(slot, entry, prepared);
        } else if (entry.problem() == null && state == ModelState.READY) {
            followNewFiles(slot, entry);
        } else {
            do {
                awaitStable(slot);
            } while (!slot.updateIfStable(entry));
            adoptOrLoad(slot, entry, null);
        }
    }

    private void followNewFiles(ModelSlot slot, ModelEntry entry) {
        if (slot.rejectedRecently(entry)) {
            return;
        }
        Replacement prepared;
        try {
            prepared = prepare(entry);
        } catch (KilnError e) {
            if (e.kind() != KilnError.Kind.INSUFFICIENT_MEMORY) {
                // Files that do not open (a copy still being written, a bad upload) must not cost the session
                // that serves: it serves on, its reason says why the disk's files do not, until they change.
                if (slot.serveDespite(entry, e.getMessage())) {
                    LOG.warnf("%s: serves the files it loaded; those on disk now cannot be opened: %s", slot.ref(), e.getMessage());
                }
                return;
            }
            LOG.infof("%s: no room to open the new files beside the old session: %s", slot.ref(), e.getMessage());
            prepared = null;
        }
        if (prepared != null) {
            LoadedModel old = slot.swap(entry, claimed(prepared), prepared.seconds, prepared.bytes);
            if (old != null) {
                closeSession(slot, old, "replaced");
            }
            fire(slot, Kind.LOADED, prepared.seconds, false, null);
            LOG.infof("%s: the new files on disk serve now", slot.ref());
            return;
        }
        settle(slot, ModelState.AVAILABLE, "a new version is on disk");
        slot.update(entry);
        adoptOrLoad(slot, entry, null);
    }

    /**
     * A model at rest that must be resident takes the session opened for it, or starts a load (whose
     * refusal or failure then says why); a prepared session it cannot take is closed.
     */
    private void adoptOrLoad(ModelSlot slot, ModelEntry entry, Replacement prepared) {
        boolean required = slot.state() == ModelState.AVAILABLE && residency.required(entry, ModelState.AVAILABLE);
        if (required && prepared != null && adopt(slot, prepared)) {
            fire(slot, Kind.LOADED, prepared.seconds, false, null);
            return;
        }
        discard(prepared);
        if (required) {
            startLoad(slot, false);
        }
    }

    /** A model new to this replica, made visible serving when it must be resident and a session opens for it. */
    private ModelSlot arrive(ModelEntry entry, boolean load) {
        ModelSlot fresh = new ModelSlot(entry, revision);
        if (load) {
            startGrace(entry.ref());
        }
        boolean required = load && residency.required(entry, fresh.state());
        Replacement prepared = required ? tryPrepare(entry) : null;
        publish(fresh, prepared);
        if (required && prepared == null) {
            startLoad(fresh, false);
        }
        return fresh;
    }

    /** Makes a new slot visible, already serving when it takes the session opened for it. */
    private void publish(ModelSlot fresh, Replacement prepared) {
        boolean adopted = prepared != null && adopt(fresh, prepared);
        slots.put(fresh.ref(), fresh);
        revision.incrementAndGet();
        fire(fresh, Kind.DISCOVERED, 0, false, null);
        if (adopted) {
            fire(fresh, Kind.LOADED, prepared.seconds, false, null);
        } else {
            discard(prepared);
        }
    }

    /** A session for the files in place, or null when they cannot be opened now (no room, unreadable): the caller falls back. */
    private Replacement tryPrepare(ModelEntry entry) {
        try {
            return prepare(entry);
        } catch (KilnError e) {
            LOG.infof("%s: no session opened for the files on disk now: %s", entry.ref(), e.getMessage());
            return null;
        }
    }

    /** Registers one model directory by name (a load of a directory added since the last scan). */
    private List<ModelSlot> discover(String name) {
        try (NameLocks.Held held = locks.holdAcrossReplicas(name, changeWait)) {
            return present(name);
        }
    }

    // ---- install and replace ----

    /**
     * Opens a staged new version next to whatever serves now, within the memory budget (it counts
     * until it is swapped in or discarded). ONNX Runtime's refusal is the caller's answer.
     */
    public Replacement prepare(ModelEntry staged) {
        if (staged.problem() != null) {
            throw KilnError.unprocessable(staged.problem());
        }
        long start = System.nanoTime();
        MemoryBudget.Charge room = admit(staged.ref(), memory.estimate(staged, null), false);
        try {
            Opened opened = open(staged, room);
            return new Replacement(opened.model(), (System.nanoTime() - start) / 1e9, opened.bytes());
        } catch (Exception e) {
            throw KilnError.unprocessable("ONNX Runtime cannot open the model: " + e.getMessage());
        }
    }

    public void discard(Replacement prepared) {
        if (prepared != null && prepared.claim()) {
            closeUnused(prepared.model);
        }
    }

    /** {@link #install(String, Integer, Path, Replacement, boolean)} of a whole model (its model.onnx at the top: version 1). */
    public ModelStatus install(String name, Path staged, Replacement prepared, boolean replace) {
        return install(name, null, staged, prepared, replace);
    }

    /**
     * Puts a verified staged directory in place of the model of that name (or as a new model), or,
     * with a {@code version}, in as that version beside the model's others, and its prepared session
     * in service, under the name's lock: the files and the session change together. A serving
     * version swaps sessions without a gap; the old session closes when its last request ends. An
     * unloaded one holds requests off (LOADING) while its files move.
     */
    public ModelStatus install(String name, Integer version, Path staged, Replacement prepared, boolean replace) {
        try (NameLocks.Held held = locks.holdForChange(ModelName.require(name), changeWait)) {
            // The repository decides, not this replica's view of it: another replica may have installed or removed the name.
            List<ModelSlot> existing = reconcile(name, true);
            if (existing.isEmpty() && composites != null && composites.isResolvable() && composites.get().find(name).isPresent()) {
                throw KilnError.conflict("'" + name + "' is a pipeline: uninstall it first, or install the model under another name");
            }
            if (existing.isEmpty()) {
                return installNew(name, version, staged, prepared);
            }
            if (version != null) {
                return installVersion(name, version, staged, prepared, replace);
            }
            if (!replace) {
                throw KilnError.conflict("model '" + name + "' is already installed; send \"replace\": true to install a new version over it");
            }
            VersionChanges.checkWholeReplace(directory(name));
            return replaceExisting(existing.get(0), () -> {
                moveIntoPlace(staged, name);
                return onDisk(name, 1);
            }, prepared);
        }
    }

    private ModelStatus installNew(String name, Integer version, Path staged, Replacement prepared) {
        if (version != null) {
            try {
                repository.nestAsVersion(staged, version);
            } catch (IOException e) {
                throw KilnError.internal("cannot lay out version " + version + " of '" + name + "': " + e.getMessage());
            }
        }
        moveIntoPlace(staged, name);
        ModelDirectory dir = repository.find(name).orElseThrow(() -> new ModelNotFoundException(name));
        remember(dir);
        ModelSlot fresh = new ModelSlot(dir.served().get(0), revision);
        publish(fresh, residency.required(fresh.entry(), fresh.state()) ? prepared : null);
        return status(fresh);
    }

    /**
     * A version beside the model's others. A new one is put in with its prepared session, after the
     * model's unversioned calls are pinned to the version they reach now (see {@link VersionChanges#pinStable}),
     * so a new version takes no traffic until routing gives it some; then the policy is followed
     * (with {@code latest: 1}, the version it replaces drains). One already there needs {@code replace}.
     */
    private ModelStatus installVersion(String name, int version, Path staged, Replacement prepared, boolean replace) {
        ModelDirectory dir = directory(name);
        Mover move = () -> {
            moveVersionIntoPlace(staged, name, version);
            return onDisk(name, version);
        };
        if (dir.version(version).isPresent()) {
            VersionChanges.checkVersionReplace(dir, version, replace);
            ModelSlot slot = slots.get(new ModelRef(name, version));
            if (slot != null) {
                return replaceExisting(slot, move, prepared);
            }
            move.move();
            return status(name);
        }
        ModelManifest pinned = VersionChanges.pinStable(dir);
        if (!pinned.equals(dir.manifest())) {
            repository.writeManifest(name, pinned);
        }
        ModelEntry entry = move.move();
        if (directory(name).serves(version)) {
            ModelSlot fresh = new ModelSlot(entry, revision);
            publish(fresh, residency.required(entry, fresh.state()) ? prepared : null);
        }
        reconcile(name, true);
        return find(name, version).orElseGet(() -> status(name));
    }

    /** Moves a version's new files into place and reads what is there now. */
    private interface Mover {
        ModelEntry move();
    }

    /**
     * Under the name's lock: a READY version swaps sessions, a DISABLED one takes the new files, any
     * other is held in LOADING while they move. A request may start a load between the wait for a
     * stable state and the hold (loads do not take the lock): then wait for it and decide again.
     */
    private ModelStatus replaceExisting(ModelSlot slot, Mover move, Replacement prepared) {
        while (true) {
            awaitStable(slot);
            if (slot.state() == ModelState.READY) {
                return swapIn(slot, move, prepared);
            }
            ModelSlot.Load hold = slot.beginLoad();
            if (hold != null && hold.started()) {
                return replaceUnloaded(slot, hold, move, prepared);
            }
            if (hold == null && slot.state() == ModelState.DISABLED) {
                return replaceDisabled(slot, move.move(), prepared);
            }
            if (slot.state() == ModelState.REMOVED) {
                throw new ModelNotFoundException(slot.name());
            }
        }
    }

    /**
     * New files for a disabled model. A manifest that enables it (an install's default) brings it
     * back as the other replicas bring it back when they follow the disk: loaded when it must be
     * resident, so readiness does not wait for a load nobody starts.
     */
    private ModelStatus replaceDisabled(ModelSlot slot, ModelEntry entry, Replacement prepared) {
        if (entry.manifest().isEnabled()) {
            slot.enableFrom(entry);
            adoptOrLoad(slot, entry, prepared);
        } else {
            slot.update(entry);
        }
        return status(slot);
    }

    private ModelStatus swapIn(ModelSlot slot, Mover move, Replacement prepared) {
        ModelEntry entry = move.move();
        LoadedModel old = slot.swap(entry, claimed(prepared), prepared.seconds, prepared.bytes);
        if (old != null) {
            closeSession(slot, old, "replaced");
        }
        fire(slot, Kind.LOADED, prepared.seconds, false, null);
        return status(slot);
    }

    /**
     * The new files of a version that is not loaded: requests wait (LOADING) while they move, and
     * whatever happens the hold ends, so no waiter is left behind.
     */
    private ModelStatus replaceUnloaded(ModelSlot slot, ModelSlot.Load hold, Mover move, Replacement prepared) {
        Runnable release = null;
        try {
            ModelEntry entry = move.move();
            boolean resident = residency.required(entry, ModelState.AVAILABLE) && entry.problem() == null
                    && entry.manifest().isEnabled();
            release = slot.finishHold(entry, resident ? claimed(prepared) : null, prepared.seconds, prepared.bytes);
            if (resident) {
                fire(slot, Kind.LOADED, prepared.seconds, false, null);
            }
            return status(slot);
        } catch (RuntimeException e) {
            release = slot.loadRefused("replace failed: " + e.getMessage(), e);
            throw e;
        } finally {
            if (release != null) {
                release.run();
            }
        }
    }

    /** The version as it is on disk now (the caller holds the name's lock), the model's directory remembered. */
    private ModelEntry onDisk(String name, int version) {
        ModelDirectory dir = repository.find(name).orElseThrow(() -> new ModelNotFoundException(name));
        remember(dir);
        return dir.served().stream().filter(e -> e.version() == version).findFirst()
                .or(() -> dir.version(version)).orElseThrow(() -> new ModelNotFoundException(name));
    }

    /** A model not yet visible to anyone takes the session opened to validate it. */
    private static boolean adopt(ModelSlot slot, Replacement prepared) {
        ModelSlot.Load load = slot.beginLoad();
        if (load == null || !load.started()) {
            return false;
        }
        slot.loadSucceeded(claimed(prepared), prepared.seconds, prepared.bytes).run();
        return true;
    }

    private static LoadedModel claimed(Replacement prepared) {
        if (!prepared.claim()) {
            throw new IllegalStateException("a prepared session can be used once");
        }
        return prepared.model;
    }

    private void moveIntoPlace(Path staged, String name) {
        try {
            repository.moveIntoPlace(staged, name);
        } catch (IOException e) {
            throw KilnError.internal("cannot move the new version of '" + name + "' into place: " + e.getMessage());
        }
    }

    private void moveVersionIntoPlace(Path staged, String name, int version) {
        try {
            repository.moveVersionIntoPlace(staged, name, version);
        } catch (IOException e) {
            throw KilnError.internal("cannot move version " + version + " of '" + name + "' into place: " + e.getMessage());
        }
    }

    // ---- the map of slots ----

    /** The slots of a name's served versions, ascending. */
    private List<ModelSlot> slotsOf(String name) {
        return List.copyOf(slots.subMap(ModelRef.first(name), true, ModelRef.last(name), true).values());
    }

    private static ModelSlot last(List<ModelSlot> mine) {
        return mine.get(mine.size() - 1);
    }

    /** The model's directory as last read under its lock; 404 when it has none. */
    private ModelDirectory directory(String name) {
        ModelDirectory dir = directories.get(name);
        if (dir == null) {
            throw new ModelNotFoundException(name);
        }
        return dir;
    }

    private void remember(ModelDirectory dir) {
        if (!dir.equals(directories.put(dir.name(), dir))) {
            revision.incrementAndGet();
        }
    }

    private void forgetDirectory(String name) {
        if (directories.remove(name) != null) {
            revision.incrementAndGet();
        }
    }

    /** Reads the directory again and hands each served version's slot its new entry (the caller holds the name's lock). */
    private void refresh(String name, java.util.function.BiConsumer<ModelSlot, ModelEntry> apply) {
        repository.find(name).ifPresent(dir -> {
            remember(dir);
            for (ModelEntry e : dir.served()) {
                ModelSlot slot = slots.get(e.ref());
                if (slot != null) {
                    apply.accept(slot, e);
                }
            }
        });
    }

    // ---- waiting ----

    /**
     * Drains the model towards {@code target} and closes its session. False when it had no session
     * to drain. Joins a drain under way. When requests do not finish within the drain timeout the
     * model stays READY and the caller gets a 409.
     */
    private boolean drainAndWait(ModelSlot slot, ModelState target, String why, String tag) {
        ModelSlot.DrainTicket ticket = slot.beginDrain(target, why);
        if (ticket == null) {
            return false;
        }
        // The one who started the drain closes the session; everyone waits until it is closed.
        CompletableFuture<?> closed = ticket.started()
                ? ticket.done().thenAccept(session -> closeSession(slot, session, tag)) : ticket.done();
        try {
            closed.get(drainTimeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            ModelSlot.Drain abandoned = slot.abandonDrain();
            if (abandoned == null) {
                return true;
            }
            ModelConflictException busy = new ModelConflictException("model " + slot.ref().label() + " still has " + slot.inFlight()
                    + " request(s) in flight after " + drainTimeout.toMillis() + " ms; it stays loaded");
            abandoned.done().completeExceptionally(busy);
            throw busy;
        } catch (ExecutionException e) {
            throw e.getCause() instanceof KilnError k ? k : new ModelConflictException(e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelConflictException("unload of '" + slot.name() + "' was interrupted");
        }
    }

    /**
     * Brings the model to DISABLED or REMOVED: drains its session, or moves it there when it has
     * none. A request may start a load between the wait for a stable state and the move (loads do
     * not take the name's lock): then wait for that load and drain what it opened.
     */
    private void settle(ModelSlot slot, ModelState target, String why) {
        do {
            awaitStable(slot);
        } while (!drainAndWait(slot, target, why, ModelLifecycleEvent.ADMIN) && !slot.restIfStable(target, why));
    }

    /** Waits until nothing is under way (no load, no drain): changes act from stable states only. */
    private void awaitStable(ModelSlot slot) {
        while (!slot.state().isStable()) {
            CompletableFuture<?> pending = slot.pendingLoad();
            if (pending == null) {
                pending = slot.pendingDrain();
            }
            if (pending != null) {
                try {
                    pending.get(drainTimeout.toMillis() + 600_000, TimeUnit.MILLISECONDS);
                } catch (ExecutionException | TimeoutException e) {
                    // Its outcome is the slot's state, read again below.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ModelConflictException("interrupted while waiting for '" + slot.name() + "'");
                }
            } else {
                Thread.onSpinWait();
            }
        }
    }

    private void awaitDrain(ModelSlot slot) {
        CompletableFuture<?> drain = slot.pendingDrain();
        if (drain != null) {
            try {
                drain.get(drainTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // The load below answers for whatever state it ended in.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static <T> T await(CompletableFuture<T> future, String name, Duration timeout) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelUnavailableException("interrupted while waiting for '" + name + "'", 1);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof KilnError k ? k
                    : new ModelUnavailableException("model '" + name + "' did not finish loading: " + e.getCause().getMessage(), 5);
        } catch (TimeoutException e) {
            throw new ModelUnavailableException("model '" + name + "' did not finish loading within " + timeout, 5);
        }
    }

    private ModelSlot slot(String name, int version) {
        ModelSlot slot = slots.get(new ModelRef(ModelName.require(name), version));
        if (slot == null) {
            ModelDirectory dir = directories.get(name);
            if (dir == null) {
                throw new ModelNotFoundException(name);
            }
            throw KilnError.notFound("model '" + name + "' has no version " + version + (dir.numbers().contains(version)
                    ? " served (version_policy " + dir.manifest().policy().text() + ")" : ": its versions are " + dir.numbers()));
        }
        return slot;
    }

    /** Tells telemetry; a notification that cannot be delivered (the container stopping) changes no state. */
    private void fire(ModelSlot slot, Kind kind, double seconds, boolean onDemand, String reason) {
        try {
            events.fire(new ModelLifecycleEvent(slot.name(), slot.version(), slot.entry().manifest().category(), kind, seconds,
                    onDemand, reason));
        } catch (RuntimeException e) {
            LOG.debugf("lifecycle event %s of %s not delivered: %s", kind, slot.ref(), e.getMessage());
        }
    }
}
