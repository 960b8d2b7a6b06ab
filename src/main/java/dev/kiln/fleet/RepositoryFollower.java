package dev.kiln.fleet;

import dev.kiln.catalog.ModelRepository;
import dev.kiln.config.AiModelsConfig;
import dev.kiln.config.RuntimeSettings;
import dev.kiln.config.SettingsValues;
import dev.kiln.pipelines.Pipelines;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.warmup.Warmup;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps this replica in step with a repository that other replicas change too: every
 * {@code ai.models.repository-poll-interval} (5 s), and about a quarter of a second after the watch
 * sees a change, it follows the settings file and rescans the repository (which adds, drains,
 * swaps and forgets models as the directories say, and cleans what dead writers left), then the pipelines. One thread:
 * a change noticed during a pass is followed by one more pass, never by two at once.
 */
@ApplicationScoped
public class RepositoryFollower {

    private static final Logger LOG = Logger.getLogger(RepositoryFollower.class);
    /** Changes come in bursts (a temp file, a rename, a manifest): one pass after the burst. */
    private static final long SETTLE_MILLIS = 250;

    private final ModelRegistry registry;
    private final RuntimeSettings settings;
    private final Warmup warmup;
    private final AiModelsConfig config;
    private final ModelRepository repository;
    private final Pipelines pipelines;
    private final AtomicBoolean passPending = new AtomicBoolean();
    private ScheduledExecutorService thread;
    private RepositoryWatch watch;

    public RepositoryFollower(ModelRegistry registry, RuntimeSettings settings, Warmup warmup, AiModelsConfig config,
                              ModelRepository repository, Pipelines pipelines) {
        this.pipelines = pipelines;
        this.registry = registry;
        this.settings = settings;
        this.warmup = warmup;
        this.config = config;
        this.repository = repository;
    }

    void onStart(@Observes StartupEvent ev) {
        Duration every = config.repositoryPollInterval();
        boolean polling = !every.isZero() && !every.isNegative();
        if (!polling && !config.repositoryWatch()) {
            return;
        }
        thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kiln-repository-follower");
            t.setDaemon(true);
            return t;
        });
        if (polling) {
            thread.scheduleWithFixedDelay(this::pass, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
        }
        if (config.repositoryWatch()) {
            watch = RepositoryWatch.start(repository.root(), this::changed);
        }
        LOG.infof("following the repository%s%s", polling ? " every " + RuntimeSettings.format(every) : "",
                watch != null ? " and on every change the file watch sees" : "");
    }

    /** Stops before anything it might call into stops. */
    void onStop(@Observes @Priority(40) ShutdownEvent ev) {
        if (watch != null) {
            watch.close();
        }
        if (thread != null) {
            thread.shutdownNow();
        }
    }

    private void changed() {
        if (passPending.compareAndSet(false, true)) {
            try {
                thread.schedule(() -> {
                    passPending.set(false);
                    pass();
                }, SETTLE_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException stopping) {
                passPending.set(false);
            }
        }
    }

    /** One pass: the settings file first (lazy loading may change what must be resident), then the models. */
    void pass() {
        try {
            followSettings();
            registry.rescan();
            pipelines.rescan();
        } catch (RuntimeException e) {
            LOG.warnf("following the repository: %s", e.getMessage());
        }
    }

    /**
     * Settings another replica saved take effect here. Lazy loading switched off makes lazy models
     * required: they are loaded and warmed first, as the config endpoint does, so readiness never dips.
     */
    private void followSettings() {
        settings.changedOnDisk().ifPresent(next -> {
            SettingsValues now = settings.current();
            if (now.lazyLoad() && !next.lazyLoad()) {
                warmup.warmUp(true);
            }
            settings.reload();
        });
    }
}
