package dev.kiln.registry;

import dev.kiln.config.RuntimeSettings;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Which models must stay loaded: every enabled model, except those marked {@code lazy_load} while
 * lazy loading is on. Readiness and warm-up both ask this one place.
 */
@ApplicationScoped
public class ResidencyPolicy {

    private final RuntimeSettings settings;

    public ResidencyPolicy(RuntimeSettings settings) {
        this.settings = settings;
    }

    public boolean lazyLoad() {
        return settings.current().lazyLoad();
    }

    public boolean mustBeResident(ModelStatus model) {
        if (model.state() == ModelState.DISABLED || model.entry().problem() != null) {
            return false;
        }
        return !(lazyLoad() && model.entry().manifest().isLazy());
    }

    /** Names of models that must be resident but are not READY: empty means ready to serve. */
    public java.util.List<String> notReady(java.util.List<ModelStatus> models) {
        return models.stream().filter(this::mustBeResident).filter(m -> m.state() != ModelState.READY)
                .map(ModelStatus::name).toList();
    }
}
