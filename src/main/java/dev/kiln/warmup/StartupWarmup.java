package dev.kiln.warmup;

import dev.kiln.config.AiModelsConfig;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.http.HttpServerStart;
import io.quarkus.vertx.http.HttpsServerStart;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import org.jboss.logging.Logger;

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
    private final boolean enabled;
    private volatile Phase phase = Phase.PENDING;
    private volatile WarmupReport last;
    private boolean started;
    private boolean listening;
    private boolean launched;

    public StartupWarmup(Warmup warmup, AiModelsConfig config) {
        this.warmup = warmup;
        this.enabled = config.warmup().onStartup();
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
