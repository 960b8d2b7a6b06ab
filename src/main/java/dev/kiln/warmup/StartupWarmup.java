package dev.kiln.warmup;

import dev.kiln.config.AiModelsConfig;
import dev.kiln.registry.ModelRegistry;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.http.HttpServerStart;
import io.quarkus.vertx.http.HttpsServerStart;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import org.jboss.logging.Logger;

import java.util.Optional;

/**
 * Runs the warm-up once, on its own thread as soon as the application has started and its HTTP
 * server listens, so HTTP answers at once and the startup probe turns UP when the warm-up ends.
 * Not a scheduler job: the scheduler fires a "now" job only at its next tick, which cost up to a
 * second of every boot. Not at {@code StartupEvent} alone either: a start that then fails (the port
 * is taken) exits the JVM, and ONNX Runtime torn down under a warm-up run is a SIGSEGV.
 */
@ApplicationScoped
public class StartupWarmup {

    public enum Phase { PENDING, RUNNING, DONE, FAILED, DISABLED }

    private static final Logger LOG = Logger.getLogger(StartupWarmup.class);
    private static final String JOB = "kiln-startup-warmup";

    private final Warmup warmup;
    private final ServingPathRehearsal rehearsal;
    private final ModelRegistry registry;
    private final boolean enabled;
    private final boolean releaseMemory;
    private volatile Phase phase = Phase.PENDING;
    private volatile WarmupReport last;
    private boolean started;
    private boolean listening;
    private boolean launched;

    private volatile StartupMemoryRelease.Released released;

    public StartupWarmup(Warmup warmup, ServingPathRehearsal rehearsal, ModelRegistry registry, AiModelsConfig config) {
        this.warmup = warmup;
        this.rehearsal = rehearsal;
        this.registry = registry;
        this.enabled = config.warmup().onStartup();
        this.releaseMemory = config.warmup().releaseMemory();
    }

    void onStart(@Observes @Priority(20) StartupEvent ev) {
        if (!enabled) {
            phase = Phase.DISABLED;
            return;
        }
        phase = Phase.RUNNING;
        startWhenBothHappened(true, false);
    }

    /** Quarkus fires this asynchronously once the HTTP port is bound. */
    void onListening(@ObservesAsync HttpServerStart ev) {
        startWhenBothHappened(false, true);
    }

    /** The same for a service that serves HTTPS only. */
    void onListeningTls(@ObservesAsync HttpsServerStart ev) {
        startWhenBothHappened(false, true);
    }

    /** The models are scanned (StartupEvent) and the port is ours (HttpServerStart): the order of the two is not promised. */
    private synchronized void startWhenBothHappened(boolean scanned, boolean bound) {
        started |= scanned;
        listening |= bound;
        if (started && listening && !launched) {
            launched = true;
            Thread thread = new Thread(this::runOnce, JOB);
            thread.setDaemon(true);
            thread.start();
        }
    }

    private void runOnce() {
        try {
            last = warmup.warmUp(false);
            phase = last.succeeded() ? Phase.DONE : Phase.FAILED;
            LOG.info(last.message());
        } catch (RuntimeException e) {
            phase = Phase.FAILED;
            LOG.error("startup warm-up failed", e);
        }
        if (!releaseMemory) {
            return;
        }
        // Once the rehearsals the warm-up asked for are over too: what starting took and no longer needs.
        // On a thread of its own, so that rehearsals of models loaded meanwhile do not wait for its pauses.
        rehearsal.afterQueued(() -> {
            Thread thread = new Thread(this::release, "kiln-startup-release");
            thread.setDaemon(true);
            thread.start();
        });
    }

    private void release() {
        released = StartupMemoryRelease.release(registry::outsideMeasurements);
        LOG.info(released.message());
    }

    /** What the release after startup gave back, once it has run. */
    Optional<StartupMemoryRelease.Released> released() {
        return Optional.ofNullable(released);
    }

    /** True once the startup warm-up has ended (or is switched off); failures end it too. */
    public boolean finished() {
        return phase == Phase.DONE || phase == Phase.FAILED || phase == Phase.DISABLED;
    }

    public Phase phase() {
        return phase;
    }

    public WarmupReport lastReport() {
        return last;
    }
}
