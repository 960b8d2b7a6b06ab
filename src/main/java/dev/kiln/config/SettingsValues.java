package dev.kiln.config;

import java.time.Duration;

/** The settings that can change while Kiln runs, as they are in force now. */
public record SettingsValues(boolean lazyLoad, int warmupIterations, Duration telemetryIdleAfter) {
}
