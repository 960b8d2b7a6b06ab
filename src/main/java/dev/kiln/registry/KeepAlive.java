package dev.kiln.registry;

import dev.kiln.catalog.ModelEntry;
import dev.kiln.config.AiModelsConfig;
import dev.kiln.config.RuntimeSettings;

import java.time.Duration;

/**
 * How long an idle model that is not required for readiness stays loaded, as Ollama's
 * {@code keep_alive}: a duration, {@code 0} to unload after each use, a negative number to never
 * unload. A model's {@code keep_alive} in model.yaml wins over {@code ai.models.keep-alive}.
 */
final class KeepAlive {

    private final Duration global;

    KeepAlive(AiModelsConfig config) {
        this.global = parse(config.keepAlive());
    }

    /** Null: never unloaded for being idle. */
    Duration of(ModelEntry entry) {
        String own = entry.manifest().keepAlive();
        if (own != null) {
            try {
                return parse(own);
            } catch (IllegalArgumentException e) {
                return global;
            }
        }
        return global;
    }

    static Duration parse(String text) {
        String t = text.trim();
        if (t.startsWith("-")) {
            return null;
        }
        if (t.equals("0")) {
            return Duration.ZERO;
        }
        return RuntimeSettings.parseDuration(t);
    }
}
