package dev.kiln.registry;

import dev.kiln.config.AiModelsConfig;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;

/** Rescans the repository every {@code ai.models.repository-poll-interval}, when one is set. */
@ApplicationScoped
public class RepositoryPoll {

    private static final Logger LOG = Logger.getLogger(RepositoryPoll.class);

    void onStart(@Observes StartupEvent ev, AiModelsConfig config, Scheduler scheduler, ModelRegistry registry) {
        config.repositoryPollInterval().filter(d -> !d.isZero() && !d.isNegative()).ifPresent(every -> {
            scheduler.newJob("kiln-repository-poll").setInterval(seconds(every)).setDelayed(seconds(every))
                    .setConcurrentExecution(io.quarkus.scheduler.Scheduled.ConcurrentExecution.SKIP)
                    .setTask(execution -> registry.rescan()).schedule();
            LOG.infof("rescanning the model repository every %s", every);
        });
    }

    private static String seconds(Duration d) {
        return Math.max(1, d.toSeconds()) + "s";
    }
}
