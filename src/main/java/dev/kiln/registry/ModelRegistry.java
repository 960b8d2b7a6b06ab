package dev.kiln.registry;

import dev.kiln.catalog.ModelEntry;
import dev.kiln.catalog.ModelName;
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
import org.jboss.logging.Logger;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one owner of model lifecycle: it alone opens and closes ONNX Runtime sessions. Everything
 * else asks it for a {@link Lease} (to run a model) or for a load, unload or rescan.
 */
@ApplicationScoped
public class ModelRegistry {

    private static final Logger LOG = Logger.getLogger(ModelRegistry.class);
    /** How often one request retries when the model is unloaded again right after its load. */
    private static final int ACQUIRE_ATTEMPTS = 3;

    private final ModelRepository repository;
    private final OnnxEngine engine;
    private final AiModelsConfig config;
    private final Event<ModelLifecycleEvent> events;
    private final Map<String, ModelSlot> slots = new ConcurrentSkipListMap<>();
    private final MemoryBudget memory;
    private final ExecutorService loader;

    public ModelRegistry(ModelRepository repository, OnnxEngine engine, AiModelsConfig config,
                         Event<ModelLifecycleEvent> events, MemoryBudget memory) {
        this.repository = repository;
        this.memory = memory;
        this.engine = engine;
        this.config = config;
        this.events = events;
        AtomicInteger n = new AtomicInteger();
        this.loader = Executors.newFixedThreadPool(Math.max(1, config.registry().loadThreads()), r -> {
            Thread t = new Thread(r, "kiln-loader-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    void onStart(@Observes @Priority(10) StartupEvent ev) {
        repository.recover();
        rescan();
        LOG.infof("model repository %s: %d model(s)", repository.root(), slots.size());
    }

    void onStop(@Observes ShutdownEvent ev) {
        for (ModelSlot slot : slots.values()) {
            try {
                unloadSlot(slot, ModelState.AVAILABLE, null);
            } catch (RuntimeException e) {
                LOG.warnf("model %s not unloaded cleanly at shutdown: %s", slot.name(), e.getMessage());
            }
        }
        loader.shutdownNow();
    }

    /** Reads the repository again: new directories appear, removed ones are unloaded and dropped. */
    public synchronized List<ModelStatus> rescan() {
        Set<String> seen = new HashSet<>();
        for (ModelEntry entry : repository.scan()) {
            seen.add(entry.name());
            ModelSlot slot = slots.get(entry.name());
            if (slot == null) {
                ModelSlot added = new ModelSlot(entry);
                slots.put(entry.name(), added);
                fire(added, Kind.DISCOVERED, 0, false, null);
            } else {
                slot.update(entry);
            }
        }
        for (ModelSlot slot : List.copyOf(slots.values())) {
            if (!seen.contains(slot.name())) {
                remove(slot);
            }
        }
        return list();
    }

    private void remove(ModelSlot slot) {
        try {
            unloadSlot(slot, ModelState.AVAILABLE, null);
            slots.remove(slot.name());
            fire(slot, Kind.REMOVED, 0, false, "directory removed");
        } catch (KilnError e) {
            LOG.warnf("model %s left the repository but could not be unloaded yet: %s", slot.name(), e.getMessage());
        }
    }

    public List<ModelStatus> list() {
        return slots.values().stream().map(ModelSlot::snapshot).toList();
    }

    public Optional<ModelStatus> find(String name) {
        ModelSlot slot = ModelName.isValid(name) ? slots.get(name) : null;
        return Optional.ofNullable(slot).map(ModelSlot::snapshot);
    }

    public ModelStatus status(String name) {
        return slot(name).snapshot();
    }

    /**
     * A lease on a ready model, loading it first when it is merely unloaded (single flight: every
     * concurrent caller waits on the same load).
     */
    public Lease acquire(String name) {
        ModelSlot slot = slot(name);
        for (int attempt = 0; attempt < ACQUIRE_ATTEMPTS; attempt++) {
            Lease lease = slot.tryLease();
            if (lease != null) {
                return lease;
            }
            switch (slot.state()) {
                case DISABLED -> throw new ModelConflictException("model '" + name + "' is disabled: " + slot.reason());
                case FAILED -> throw new ModelUnavailableException("model '" + name + "' failed to load: " + slot.reason(), null);
                case UNLOADING -> {
                    if (slot.target() == ModelState.DISABLED) {
                        throw new ModelConflictException("model '" + name + "' is being disabled or uninstalled");
                    }
                    throw new ModelUnavailableException("model '" + name + "' is unloading", 1);
                }
                default -> await(startLoad(slot, true), name);
            }
        }
        throw new ModelUnavailableException("model '" + name + "' was unloaded while this request waited; retry", 1);
    }

    /**
     * Loads the model (or waits for the load already running) and returns its status after. A model
     * directory that appeared since the last scan is registered first, as Triton's explicit load does.
     */
    public ModelStatus load(String name) {
        if (find(name).isEmpty()) {
            register(name);
        }
        ModelSlot slot = slot(name);
        ModelState state = slot.state();
        if (state == ModelState.DISABLED) {
            throw new ModelConflictException("model '" + name + "' is disabled: enable it before loading");
        }
        if (state == ModelState.UNLOADING) {
            throw new ModelUnavailableException("model '" + name + "' is unloading; load it again when that ends", 1);
        }
        if (state != ModelState.READY) {
            await(startLoad(slot, false), name);
        }
        return slot.snapshot();
    }

    /** Unloads after in-flight requests drain; 409 when they do not drain within the timeout. */
    public ModelStatus unload(String name) {
        ModelSlot slot = slot(name);
        unloadSlot(slot, ModelState.AVAILABLE, null);
        return slot.snapshot();
    }

    /** Reads one model directory into the registry (after an install); returns its status. */
    public synchronized ModelStatus register(String name) {
        ModelEntry entry = repository.find(name).orElseThrow(() -> new ModelNotFoundException(name));
        ModelSlot slot = slots.get(name);
        if (slot == null) {
            slot = new ModelSlot(entry);
            slots.put(name, slot);
            fire(slot, Kind.DISCOVERED, 0, false, null);
        } else {
            slot.update(entry);
        }
        return slot.snapshot();
    }

    /**
     * Opens a staged new version next to the serving one. A failure is an answer naming ONNX
     * Runtime's reason; nothing is registered.
     */
    public Replacement prepare(ModelEntry staged) {
        if (staged.problem() != null) {
            throw KilnError.unprocessable(staged.problem());
        }
        long start = System.nanoTime();
        try {
            return new Replacement(staged, engine.open(staged), (System.nanoTime() - start) / 1e9);
        } catch (Exception e) {
            throw KilnError.unprocessable("ONNX Runtime cannot open the model: " + e.getMessage());
        }
    }

    /**
     * Puts a prepared version in service: requests from now on run the new session, and the old
     * one is closed once the requests still running on it finish. A model that was not loaded
     * just takes the new files, and the prepared session is closed.
     */
    public ModelStatus swapIn(String name, Replacement replacement) {
        ModelSlot slot = slot(name);
        ModelEntry entry = repository.find(name).orElseThrow(() -> new ModelNotFoundException(name));
        LoadedModel old = slot.swap(entry, replacement.model, replacement.seconds);
        if (old == null) {
            replacement.model.close();
            return slot.snapshot();
        }
        fire(slot, Kind.LOADED, replacement.seconds, false, null);
        loader.execute(() -> retire(slot, old));
        return slot.snapshot();
    }

    public void discard(Replacement replacement) {
        if (replacement != null) {
            replacement.model.close();
        }
    }

    private void retire(ModelSlot slot, LoadedModel old) {
        try {
            slot.awaitIdle(old);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        old.close();
        LOG.infof("retired the previous session of %s", slot.name());
    }

    /** Drains and unloads the model, then keeps it refusing requests (409) until enabled again. */
    public ModelStatus disable(String name) {
        ModelSlot slot = slot(name);
        unloadSlot(slot, ModelState.DISABLED, "disabled by an operator");
        repository.writeManifest(name, slot.entry().manifest().withEnabled(false));
        repository.find(name).ifPresent(slot::update);
        return slot.snapshot();
    }

    /** Makes the model loadable again; the caller decides whether to load it now. */
    public ModelStatus enable(String name) {
        ModelSlot slot = slot(name);
        repository.writeManifest(name, slot.entry().manifest().withEnabled(true));
        repository.find(name).ifPresent(slot::update);
        return slot.snapshot();
    }

    /**
     * Drains and unloads the model, removes its files and forgets it. In-flight requests finish
     * normally; new ones get 409 while it drains and 404 afterwards.
     */
    public synchronized void uninstall(String name) {
        ModelSlot slot = slot(name);
        unloadSlot(slot, ModelState.DISABLED, "being uninstalled");
        repository.delete(name);
        slots.remove(name);
        fire(slot, Kind.REMOVED, 0, false, "uninstalled");
    }

    private CompletableFuture<Void> startLoad(ModelSlot slot, boolean onDemand) {
        CompletableFuture<Void> existing = slot.pendingLoad();
        if (existing != null) {
            return existing;
        }
        synchronized (slot) {
            ModelState state = slot.state();
            if (state == ModelState.READY || state == ModelState.DISABLED || state == ModelState.UNLOADING) {
                return CompletableFuture.completedFuture(null);
            }
            boolean starting = slot.pendingLoad() == null;
            CompletableFuture<Void> future = slot.beginLoad();
            if (starting) {
                ModelEntry entry = slot.entry();
                loader.execute(() -> runLoad(slot, entry, onDemand));
            }
            return future;
        }
    }

    private void runLoad(ModelSlot slot, ModelEntry entry, boolean onDemand) {
        long start = System.nanoTime();
        try {
            if (entry.problem() != null) {
                throw new IllegalStateException(entry.problem());
            }
            LoadedModel model;
            try (AutoCloseable room = memory.reserve(slot.snapshot(), list())) {
                model = engine.open(entry);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            slot.loadSucceeded(model, seconds);
            LOG.infof("loaded %s on %s in %.2fs%s", entry.name(), model.executionProvider(), seconds,
                    onDemand ? " (on demand)" : "");
            fire(slot, Kind.LOADED, seconds, onDemand, null);
        } catch (Exception | LinkageError e) {
            String why = e.getMessage() != null ? e.getMessage() : e.getClass().getName();
            LOG.errorf("model %s failed to load: %s", entry.name(), why);
            slot.loadFailed(why);
            fire(slot, Kind.LOAD_FAILED, (System.nanoTime() - start) / 1e9, onDemand, why);
        }
    }

    private void unloadSlot(ModelSlot slot, ModelState after, String afterReason) {
        for (int attempt = 0; attempt < ACQUIRE_ATTEMPTS; attempt++) {
            CompletableFuture<Void> pending = slot.pendingLoad();
            if (pending != null) {
                await(pending, slot.name());
            }
            LoadedModel closing;
            try {
                closing = slot.drain(config.registry().drainTimeout().toMillis(), after, afterReason);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ModelConflictException("unload of '" + slot.name() + "' was interrupted");
            }
            if (closing != null) {
                closing.close();
                fire(slot, Kind.UNLOADED, 0, false, null);
                return;
            }
            if (slot.pendingLoad() == null) {
                return;
            }
        }
    }

    private void await(CompletableFuture<Void> future, String name) {
        try {
            future.get(10, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelUnavailableException("interrupted while waiting for '" + name + "' to load", 1);
        } catch (ExecutionException | TimeoutException e) {
            throw new ModelUnavailableException("model '" + name + "' did not finish loading: " + e.getMessage(), 5);
        }
    }

    private ModelSlot slot(String name) {
        ModelSlot slot = slots.get(ModelName.require(name));
        if (slot == null) {
            throw new ModelNotFoundException(name);
        }
        return slot;
    }

    private void fire(ModelSlot slot, Kind kind, double seconds, boolean onDemand, String reason) {
        events.fire(new ModelLifecycleEvent(slot.name(), slot.entry().manifest().category(), kind, seconds, onDemand, reason));
    }
}
