package dev.kiln.warmup;

import dev.kiln.config.AiModelsConfig;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduler;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * Runs the warm-up once, as a scheduler job right after boot, so HTTP answers at once and the
 * startup probe turns UP when the job ends.
 */
@ApplicationScoped
public class StartupWarmup {

    public enum Phase { PENDING, RUNNING, DONE, FAILED, DISABLED }

    private static final Logger LOG = Logger.getLogger(StartupWarmup.class);
    private static final String JOB = "kiln-startup-warmup";

    private final Warmup warmup;
    private final Scheduler scheduler;
    private final boolean enabled;
    private volatile Phase phase = Phase.PENDING;
    private volatile WarmupReport last;

    public StartupWarmup(Warmup warmup, Scheduler scheduler, AiModelsConfig config) {
        this.warmup = warmup;
        this.scheduler = scheduler;
        this.enabled = config.warmup().onStartup();
    }

    void onStart(@Observes @Priority(20) StartupEvent ev) {
        if (!enabled) {
            phase = Phase.DISABLED;
            return;
        }
        scheduler.newJob(JOB).setInterval("24h").setDelayed("0s").setTask(execution -> runOnce()).schedule();
    }

    private void runOnce() {
        scheduler.unscheduleJob(JOB);
        phase = Phase.RUNNING;
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
