package dev.kiln.telemetry;

import dev.kiln.catalog.Routing;
import dev.kiln.registry.ModelStatus;
import dev.kiln.registry.ModelVersions;
import dev.kiln.telemetry.TelemetryView.Recommendation;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The seed's two rules, each with its evidence: a loaded model unused since it was loaded for
 * longer than the idle window should be unloaded; a lazy model whose requests waited for loads
 * should be loaded eagerly. Pinned models are never proposed for unloading. Both apply to each
 * served version. And a third, for versions: a canary clearly worse than stable should be rolled
 * back (see {@link #canary}).
 */
public final class Recommendations {

    public static final String UNLOAD = "Consider unloading this model to free up resources";
    public static final String LOAD = "Consider loading this model for better performance";
    public static final String ROLL_BACK = "Consider rolling back the canary";
    /** Fewer requests than this on either side say nothing either way. */
    static final int MIN_REQUESTS = 50;
    /** A failure rate this much above stable's, at least, and beyond chance (z of a two-proportion test). */
    static final double MIN_FAILURE_GAP = 0.01;
    static final double MIN_Z = 3.0;
    /** A p95 this many times stable's, and at least this many milliseconds above it. */
    static final double P95_RATIO = 1.5;
    static final double P95_GAP_MS = 5.0;

    private Recommendations() {
    }

    public static List<Recommendation> of(List<ModelVersions> models, java.util.function.BiFunction<String, Integer, ModelMeters.Usage> usage,
                                          java.util.function.BiFunction<String, Integer, ModelMeters.Evidence> evidence,
                                          Duration idleAfter, Instant now) {
        List<Recommendation> out = new ArrayList<>();
        for (ModelVersions model : models) {
            for (ModelStatus m : model.served()) {
                ModelMeters.Usage u = usage.apply(m.name(), m.version());
                idle(m, u, idleAfter, now).ifPresent(out::add);
                coldStarts(m, u).ifPresent(out::add);
            }
            canary(model, evidence).ifPresent(out::add);
        }
        return out;
    }

    /**
     * A model whose aliases {@code canary} and {@code stable} name two served versions, with at least
     * {@link #MIN_REQUESTS} requests on each: the canary is clearly worse when it fails more often
     * (by at least a percentage point, and with z ≥ 3 in a two-proportion test) or when its p95 over
     * its latest successful requests is at least 1.5 times stable's and 5 ms above it.
     */
    static java.util.Optional<Recommendation> canary(ModelVersions model,
                                                     java.util.function.BiFunction<String, Integer, ModelMeters.Evidence> evidence) {
        java.util.Map<String, Integer> aliases = model.manifest().routingOrNone().aliasesOrEmpty();
        Integer stable = aliases.get(Routing.STABLE);
        Integer canary = aliases.get(Routing.CANARY);
        if (stable == null || canary == null || stable.equals(canary) || model.version(stable).isEmpty()
                || model.version(canary).isEmpty()) {
            return java.util.Optional.empty();
        }
        ModelMeters.Evidence s = evidence.apply(model.name(), stable);
        ModelMeters.Evidence c = evidence.apply(model.name(), canary);
        List<String> worse = new ArrayList<>();
        if (c.requests() >= MIN_REQUESTS && s.requests() >= MIN_REQUESTS && failsMore(c, s)) {
            worse.add(String.format(java.util.Locale.ROOT, "it fails %.1f%% of %d requests, stable %.1f%% of %d",
                    c.failureRate() * 100, c.requests(), s.failureRate() * 100, s.requests()));
        }
        if (c.latencySamples() >= MIN_REQUESTS && s.latencySamples() >= MIN_REQUESTS && c.p95Ms() != null && s.p95Ms() != null
                && c.p95Ms() >= P95_RATIO * s.p95Ms() && c.p95Ms() - s.p95Ms() >= P95_GAP_MS) {
            worse.add(String.format(java.util.Locale.ROOT, "its p95 is %.1f ms over its latest %d successful requests, stable's %.1f ms"
                    + " over %d (%.1fx)", c.p95Ms(), c.latencySamples(), s.p95Ms(), s.latencySamples(), c.p95Ms() / s.p95Ms()));
        }
        if (worse.isEmpty()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new Recommendation(model.name(), ROLL_BACK + " (version " + canary + ")",
                "Canary version " + canary + " is clearly worse than stable version " + stable + ": " + String.join("; ", worse)
                        + ". Roll back with POST /api/v1/setup/models/" + model.name() + "/rollback"));
    }

    private static boolean failsMore(ModelMeters.Evidence c, ModelMeters.Evidence s) {
        double gap = c.failureRate() - s.failureRate();
        if (gap < MIN_FAILURE_GAP) {
            return false;
        }
        double pooled = (double) (c.failures() + s.failures()) / (c.requests() + s.requests());
        double se = Math.sqrt(pooled * (1 - pooled) * (1.0 / c.requests() + 1.0 / s.requests()));
        return se == 0 || gap / se >= MIN_Z;
    }

    private static java.util.Optional<Recommendation> idle(ModelStatus m, ModelMeters.Usage u, Duration idleAfter, Instant now) {
        if (!m.loaded() || m.loadedAt() == null || Boolean.TRUE.equals(m.entry().manifest().pinned())) {
            return java.util.Optional.empty();
        }
        boolean usedSinceLoad = u.lastUsed() != null && !u.lastUsed().isBefore(m.loadedAt());
        Duration idle = Duration.between(m.loadedAt(), now);
        if (usedSinceLoad || idle.compareTo(idleAfter) <= 0) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new Recommendation(m.name(), UNLOAD,
                (m.version() == 1 ? "Model" : "Version " + m.version()) + " is loaded but has not been used: idle " + human(idle) + " holding " + megabytes(m.memoryBytes())
                        + (m.memoryMeasured() ? " (measured)" : " (estimated)") + " since it was loaded at "
                        + m.loadedAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                        + " (threshold " + human(idleAfter) + ")"));
    }

    private static java.util.Optional<Recommendation> coldStarts(ModelStatus m, ModelMeters.Usage u) {
        if (!m.entry().manifest().isLazy() || u.coldStarts() == 0) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new Recommendation(m.name(), LOAD,
                "Model is being used but requires loading on each request: " + u.coldStarts()
                        + " cold start(s) made requests wait for a load"
                        + (m.lastLoadSeconds() != null ? String.format(java.util.Locale.ROOT, " (last load took %.2fs)", m.lastLoadSeconds()) : "")
                        + "; " + u.usageCount() + " request(s) served; set lazy_load: false in its model.yaml"));
    }

    static String megabytes(long bytes) {
        return Math.round(bytes / 1e6) + " MB";
    }

    static String human(Duration d) {
        long s = d.toSeconds();
        if (s < 120) {
            return s + "s";
        }
        if (s < 7200) {
            return (s / 60) + "m";
        }
        if (s < 172800) {
            return (s / 3600) + "h " + (s % 3600) / 60 + "m";
        }
        return (s / 86400) + "d " + (s % 86400) / 3600 + "h";
    }
}
