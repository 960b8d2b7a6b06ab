package dev.kiln.install;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * Body of {@code POST /api/v1/setup/ai-models/install}. {@code name}, {@code url} and
 * {@code category} are required; {@code replace} must be true to install over an existing model.
 */
@RegisterForReflection
public record InstallRequest(String name, String url, String sha256, String category, String provider,
                             Boolean lazyLoad, Boolean enabled, String description, Boolean replace) {
}
