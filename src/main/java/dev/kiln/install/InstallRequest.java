package dev.kiln.install;

import io.quarkus.runtime.annotations.RegisterForReflection;

/**
 * Body of {@code POST /api/v1/setup/ai-models/install}. {@code name}, {@code url} and
 * {@code category} are required; {@code replace} must be true to install over an existing model.
 * With {@code version} the file is installed as that version of the model ({@code <name>/<version>/}),
 * beside its other versions; {@code replace} is then needed only to install over that version.
 */
@RegisterForReflection
public record InstallRequest(String name, String url, String sha256, String category, String provider,
                             Boolean lazyLoad, Boolean enabled, String description, Boolean replace, Integer version) {

    /** The request without a version, as older callers send it. */
    public InstallRequest(String name, String url, String sha256, String category, String provider,
                          Boolean lazyLoad, Boolean enabled, String description, Boolean replace) {
        this(name, url, sha256, category, provider, lazyLoad, enabled, description, replace, null);
    }
}
