package dev.kiln.testing;

import dev.kiln.catalog.ModelRepository;
import dev.kiln.config.AiModelsConfig;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Inject;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The real repository, with a gate between a replace's two renames: the moment the model's
 * directory is missing. Enabled only by test profiles that ask for it.
 */
@Alternative
@jakarta.inject.Singleton
public class LatchedRepository extends ModelRepository {

    private record Gate(CountDownLatch arrived, CountDownLatch open) {
    }

    private final Map<String, Gate> gates = new ConcurrentHashMap<>();

    @Inject
    public LatchedRepository(AiModelsConfig config) {
        super(config);
    }

    public void closeBetweenRenames(String name) {
        gates.put(name, new Gate(new CountDownLatch(1), new CountDownLatch(1)));
    }

    public void awaitHeld(String name) throws InterruptedException {
        if (!gates.get(name).arrived().await(30, TimeUnit.SECONDS)) {
            throw new AssertionError("no replace of " + name + " reached the gate");
        }
    }

    public void open(String name) {
        Gate g = gates.remove(name);
        if (g != null) {
            g.open().countDown();
        }
    }

    @Override
    protected Path setAside(String name) throws IOException {
        Path aside = super.setAside(name);
        Gate g = gates.get(name);
        if (g != null) {
            g.arrived().countDown();
            try {
                g.open().await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return aside;
    }
}
