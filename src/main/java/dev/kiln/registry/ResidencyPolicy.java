package dev.kiln.registry;

import dev.kiln.config.AiModelsConfig;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Which models must stay loaded: every enabled model, except those marked {@code lazy_load} while
 * lazy loading is on. Readiness and warm-up both ask this one place.
 */
@ApplicationScoped
public class ResidencyPolicy {

    private final AiModelsConfig config;
    private volatile Boolean lazyLoadOverride;

    public ResidencyPolicy(AiModelsConfig config) {
        this.config = config;
    }

    public boolean lazyLoad() {
        Boolean override = lazyLoadOverride;
        return override != null ? override : config.lazyLoad();
    }

    /** Changes the lazy-load switch at run time (the setup config endpoint). */
    public void setLazyLoad(boolean value) {
        lazyLoadOverride = value;
    }

    public boolean mustBeResident(ModelStatus model) {
        if (model.state() == ModelState.DISABLED || model.entry().problem() != null) {
            return false;
        }
        return !(lazyLoad() && model.entry().manifest().isLazy());
    }
}
