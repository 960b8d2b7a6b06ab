package dev.kiln.telemetry;

import dev.kiln.registry.ModelStatus;
import dev.kiln.telemetry.TelemetryView.Recommendation;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The seed's two rules, each with its evidence: a loaded model unused since it was loaded for
 * longer than the idle window should be unloaded; a lazy model whose requests waited for loads
 * should be loaded eagerly. Pinned models are never proposed for unloading.
 */
public final class Recommendations {

    public static final String UNLOAD = "Consider unloading this model to free up resources";
    public static final String LOAD = "Consider loading this model for better performance";

    private Recommendations() {
    }

    public static List<Recommendation> of(List<ModelStatus> models, java.util.function.Function<String, ModelMeters.Usage> usage,
                                          Duration idleAfter, Instant now) {
        List<Recommendation> out = new ArrayList<>();
        for (ModelStatus m : models) {
            ModelMeters.Usage u = usage.apply(m.name());
            idle(m, u, idleAfter, now).ifPresent(out::add);
            coldStarts(m, u).ifPresent(out::add);
        }
        return out;
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
                "Model is loaded but has not been used: idle " + human(idle) + " holding " + megabytes(m.memoryBytes())
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
