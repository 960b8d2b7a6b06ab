package dev.kiln.warmup;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import dev.kiln.catalog.Category;
import dev.kiln.catalog.ModelRef;
import dev.kiln.config.RuntimeSettings;
import dev.kiln.errors.KilnError;
import dev.kiln.registry.Lease;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelState;
import dev.kiln.registry.ModelStatus;
import dev.kiln.registry.ResidencyPolicy;
import dev.kiln.runtime.WarmupInputs;
import dev.kiln.runtime.OnnxEngine;
import dev.kiln.runtime.TensorSpec;
import dev.kiln.telemetry.Tracing;
import dev.kiln.telemetry.UsageTracker;
import dev.kiln.warmup.WarmupReport.ModelWarmup;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Loads the models that should be resident and runs synthetic inferences through each. Idempotent
 * and coalesced: concurrent calls share one run, and when every target's current session has
 * already been warmed it answers at once without running anything.
 */
@ApplicationScoped
public class Warmup {

    private static final Logger LOG = Logger.getLogger(Warmup.class);

    private final ModelRegistry registry;
    private final ResidencyPolicy residency;
    private final OnnxEngine engine;
    private final UsageTracker usage;
    private final Tracing tracing;
    private final RuntimeSettings settings;
    private final ServingPathRehearsal rehearsal;
    /** Model version to the load time of the session that was warmed: a reload makes it cold again. */
    private final Map<ModelRef, Instant> warmed = new ConcurrentHashMap<>();
    private final Map<Boolean, CompletableFuture<WarmupReport>> running = new ConcurrentHashMap<>();

    public Warmup(ModelRegistry registry, ResidencyPolicy residency, OnnxEngine engine, UsageTracker usage,
                  RuntimeSettings settings, Tracing tracing, ServingPathRehearsal rehearsal) {
        this.registry = registry;
        this.rehearsal = rehearsal;
        this.tracing = tracing;
        this.residency = residency;
        this.engine = engine;
        this.usage = usage;
        this.settings = settings;
    }

    public WarmupReport warmUp(boolean includeLazy) {
        CompletableFuture<WarmupReport> mine = new CompletableFuture<>();
        CompletableFuture<WarmupReport> shared = running.putIfAbsent(includeLazy, mine);
        if (shared != null) {
            return shared.join();
        }
        try {
            WarmupReport report = run(includeLazy);
            mine.complete(report);
            return report;
        } catch (Throwable e) {
            // Every waiter learns how it ended, whatever it was (an Error included): none hangs.
            mine.completeExceptionally(e);
            throw e;
        } finally {
            running.remove(includeLazy, mine);
        }
    }

    /** True when the model's current session has been through warm-up. */
    public boolean isWarm(ModelStatus m) {
        return m.loaded() && Objects.equals(warmed.get(m.entry().ref()), m.loadedAt());
    }

    private WarmupReport run(boolean includeLazy) {
        long start = System.nanoTime();
        List<ModelStatus> targets = registry.list().stream()
                .filter(m -> m.state() != ModelState.DISABLED && m.entry().problem() == null)
                .filter(m -> includeLazy || residency.mustBeResident(m))
                .toList();
        boolean alreadyWarm = targets.stream().allMatch(this::isWarm);
        List<Outcome> outcomes = new ArrayList<>();
        for (ModelStatus target : targets) {
            outcomes.add(isWarm(target)
                    ? Outcome.of(new ModelWarmup(target.name(), target.category(), "already_warm", null, null, null, false, target.version()))
                    : warm(target));
        }
        // After every load, not between them: a rehearsal's runs and the compilations it causes took
        // the cores the next model's session needed (see ServingPathRehearsal).
        outcomes.forEach(o -> o.rehearsal().run());
        return report(outcomes.stream().map(Outcome::report).toList(), alreadyWarm, (System.nanoTime() - start) / 1e9);
    }

    /** One model's line in the report, and the rehearsal of its serving path to start once all are warm. */
    private record Outcome(ModelWarmup report, Runnable rehearsal) {
        static Outcome of(ModelWarmup report) {
            return new Outcome(report, () -> { });
        }
    }

    /** The warm-up's own runs took this long; the rehearsal reads the inputs of the session they ran on. */
    private record Warmed(double seconds, Runnable rehearsal) { }

    private Outcome warm(ModelStatus target) {
        String name = target.name();
        int version = target.version();
        Double loadSeconds = null;
        try {
            if (!target.loaded()) {
                long t0 = System.nanoTime();
                // A model's load loads every version it serves: the next version's turn finds it loaded.
                registry.load(name);
                ModelStatus after = registry.status(name, version);
                loadSeconds = round((System.nanoTime() - t0) / 1e9);
                if (after.state() == ModelState.FAILED) {
                    return Outcome.of(ModelWarmup.failed(name, target.category(), loadSeconds, "load failed: " + after.reason(), false, version));
                }
                if (after.state() != ModelState.READY) {
                    // An operator (or keep-alive) changed it while the warm-up ran: not the warm-up's failure.
                    return Outcome.of(new ModelWarmup(name, target.category(), "skipped", loadSeconds, null,
                            "not loaded: " + after.state() + (after.reason() != null ? " (" + after.reason() + ")" : ""), false, version));
                }
            }
            Warmed warmed = infer(registry.status(name, version));
            return new Outcome(new ModelWarmup(name, target.category(), "warmed", loadSeconds, round(warmed.seconds()), null, false, version),
                    warmed.rehearsal());
        } catch (KilnError e) {
            if (skippable(e, target)) {
                return Outcome.of(new ModelWarmup(name, target.category(), "skipped", loadSeconds, null, e.getMessage(), false, version));
            }
            LOG.warnf("warm-up of %s failed: %s", target.entry().ref(), e.getMessage());
            return Outcome.of(ModelWarmup.failed(name, target.category(), loadSeconds, e.getMessage(),
                    e.kind() == KilnError.Kind.INSUFFICIENT_MEMORY, version));
        } catch (Exception e) {
            LOG.warnf("warm-up of %s failed: %s", target.entry().ref(), e.getMessage());
            return Outcome.of(ModelWarmup.failed(name, target.category(), loadSeconds, e.getMessage(), false, version));
        }
    }

    /**
     * Not a failure of the warm-up: the model was disabled, uninstalled or unloaded while it ran, or
     * it need not be resident and does not fit the memory budget now.
     */
    private boolean skippable(KilnError e, ModelStatus target) {
        return e.kind() == KilnError.Kind.CONFLICT || e.kind() == KilnError.Kind.NOT_FOUND
                || e.kind() == KilnError.Kind.UNAVAILABLE && registry.find(target.name(), target.version())
                .map(m -> m.state() != ModelState.FAILED).orElse(true)
                || e.kind() == KilnError.Kind.INSUFFICIENT_MEMORY && !residency.mustBeResident(target);
    }

    /**
     * Runs the warm-up inferences on a lease, outside inference accounting: warm-up is not use. The
     * lease is taken first; only the runs are measured, so nothing waits while holding the measurement.
     */
    private Warmed infer(ModelStatus status) throws Exception {
        String name = status.name();
        int version = status.version();
        Integer declared = status.entry().manifest().warmup() == null ? null : status.entry().manifest().warmup().iterations();
        int iterations = declared != null ? declared : settings.current().warmupIterations();
        long t0 = System.nanoTime();
        Span span = tracing.start("kiln.warmup", Context.current(), name, version);
        try (Lease lease = registry.acquire(name, version); Scope scope = span.makeCurrent()) {
            registry.measureWarmup(lease, () -> {
                for (int i = 0; i < iterations; i++) {
                    Map<String, OnnxTensor> feeds = WarmupInputs.build(engine.environment(), lease.model().inputs(),
                            status.entry().manifest());
                    try (OrtSession.Result ignored = lease.model().run(feeds, java.util.Set.of())) {
                        // The outputs are not needed: the point is that kernels and memory are now warm.
                    } finally {
                        feeds.values().forEach(OnnxTensor::close);
                    }
                }
                return null;
            });
            double seconds = (System.nanoTime() - t0) / 1e9;
            warmed.put(status.entry().ref(), lease.model().loadedAt());
            usage.recordWarmup(name, version, seconds);
            List<TensorSpec> inputs = lease.model().inputs();
            return new Warmed(seconds, () -> rehearsal.rehearseSoon(status, inputs));
        } catch (Exception | Error e) {
            Tracing.fail(span, e);
            throw e;
        } finally {
            span.end();
        }
    }

    private WarmupReport report(List<ModelWarmup> results, boolean alreadyWarm, double elapsed) {
        List<String> failed = results.stream().filter(r -> "failed".equals(r.status())).map(ModelWarmup::name).toList();
        Map<String, Integer> counts = new LinkedHashMap<>();
        Category.STANDARD.forEach(c -> counts.put(c, 0));
        // Counted per model (the seed's counts): a model is loaded when any version of it is.
        int total = 0;
        for (var m : registry.models()) {
            boolean loaded = m.served().stream().anyMatch(ModelStatus::loaded);
            counts.merge(m.manifest().category(), loaded ? 1 : 0, Integer::sum);
            total += loaded ? 1 : 0;
        }
        String took = String.format(Locale.ROOT, "%.2fs", elapsed);
        String message = !failed.isEmpty() ? "Warm-up failed for " + String.join(", ", failed) + " in " + took
                + " (the other models are warm)"
                : alreadyWarm ? "AI models already warm (checked in " + took + ")"
                : "AI models warmed up successfully in " + took;
        return new WarmupReport(failed.isEmpty() ? "success" : "error", message, failed.isEmpty(), round(elapsed),
                counts, total, alreadyWarm, results);
    }

    private static double round(double seconds) {
        return Math.round(seconds * 1000.0) / 1000.0;
    }
}
