package dev.kiln.testing;

import ai.onnxruntime.OrtException;
import dev.kiln.catalog.ModelEntry;
import dev.kiln.config.AiModelsConfig;
import dev.kiln.runtime.ExecutionProviders;
import dev.kiln.runtime.LoadedModel;
import dev.kiln.runtime.OnnxEngine;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Inject;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The real engine, with a gate a test can close on one model directory: a load of it stops just
 * before ONNX Runtime opens the session, until the test opens the gate. Races become a sequence.
 * Enabled only by test profiles that ask for it.
 */
@Alternative
@jakarta.inject.Singleton
public class LatchedEngine extends OnnxEngine {

    private record Gate(CountDownLatch arrived, CountDownLatch open) {
    }

    private final Map<Path, Gate> gates = new ConcurrentHashMap<>();

    @Inject
    public LatchedEngine(AiModelsConfig config, ExecutionProviders providers) {
        super(config, providers);
    }

    public void close(Path modelDirectory) {
        gates.put(modelDirectory.toAbsolutePath().normalize(), new Gate(new CountDownLatch(1), new CountDownLatch(1)));
    }

    /** Waits until a load of that directory is held at the gate. */
    public void awaitHeld(Path modelDirectory) throws InterruptedException {
        Gate g = gates.get(modelDirectory.toAbsolutePath().normalize());
        if (!g.arrived().await(30, TimeUnit.SECONDS)) {
            throw new AssertionError("no load of " + modelDirectory + " reached the gate");
        }
    }

    public void open(Path modelDirectory) {
        Gate g = gates.remove(modelDirectory.toAbsolutePath().normalize());
        if (g != null) {
            g.open().countDown();
        }
    }

    private final java.util.Set<Path> failing = ConcurrentHashMap.newKeySet();

    /** The next open of that directory fails as an unreadable file would (a storage hiccup), once. */
    public void failNext(Path modelDirectory) {
        failing.add(modelDirectory.toAbsolutePath().normalize());
    }

    private final Map<Path, java.util.concurrent.atomic.AtomicInteger> opens = new ConcurrentHashMap<>();

    /** How many times a session was asked for of that directory's files. */
    public int opens(Path modelDirectory) {
        java.util.concurrent.atomic.AtomicInteger n = opens.get(modelDirectory.toAbsolutePath().normalize());
        return n == null ? 0 : n.get();
    }

    @Override
    public LoadedModel open(ModelEntry entry) throws OrtException {
        opens.computeIfAbsent(entry.directory().toAbsolutePath().normalize(), d -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
        if (failing.remove(entry.directory().toAbsolutePath().normalize())) {
            throw new OrtException("test: the model file could not be read");
        }
        Gate g = gates.get(entry.directory().toAbsolutePath().normalize());
        if (g != null) {
            g.arrived().countDown();
            try {
                if (!g.open().await(60, TimeUnit.SECONDS)) {
                    throw new OrtException("test gate never opened");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new OrtException("interrupted at the test gate");
            }
        }
        return super.open(entry);
    }
}
