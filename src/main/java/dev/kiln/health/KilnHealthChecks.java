package dev.kiln.health;

import dev.kiln.registry.ModelRegistry;
import dev.kiln.warmup.StartupWarmup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * Kubernetes probes. started: the startup warm-up has ended. ready: every model that must be
 * resident is READY (a lazy model loading or unloading never flips it; one that appeared after startup
 * counts once READY or after ai.models.registry.arrival-grace). live: the process answers.
 */
@ApplicationScoped
public class KilnHealthChecks {

    private final StartupWarmup startup;
    private final ModelRegistry registry;

    public KilnHealthChecks(StartupWarmup startup, ModelRegistry registry) {
        this.startup = startup;
        this.registry = registry;
    }

    @Produces
    @Startup
    HealthCheck startupWarmupDone() {
        return () -> HealthCheckResponse.named("startup-warmup").status(startup.finished())
                .withData("phase", startup.phase().name()).build();
    }

    @Produces
    @Readiness
    HealthCheck requiredModelsReady() {
        return () -> {
            List<String> missing = registry.requiredNotReady();
            return HealthCheckResponse.named("required-models").status(missing.isEmpty())
                    .withData("not_ready", String.join(",", missing)).build();
        };
    }

    @Produces
    @Liveness
    HealthCheck processAlive() {
        return () -> HealthCheckResponse.named("kiln").up()
                .withData("uptime_seconds", ManagementFactory.getRuntimeMXBean().getUptime() / 1000).build();
    }
}
