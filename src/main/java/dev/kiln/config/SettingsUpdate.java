package dev.kiln.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * Body of {@code POST /api/v1/setup/config}; absent fields keep their value. The idle window is a
 * duration such as {@code 30m}, {@code 2h} or {@code PT90S}.
 */
@RegisterForReflection
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SettingsUpdate(Boolean lazyLoad, Integer warmupIterations, String telemetryIdleAfter) {
}
