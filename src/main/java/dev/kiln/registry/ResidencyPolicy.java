package dev.kiln.registry;

import dev.kiln.catalog.ModelEntry;
import dev.kiln.config.RuntimeSettings;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;

/**
 * Which models must stay loaded: every enabled model, except those marked {@code lazy_load} while
 * lazy loading is on. Readiness, warm-up, eviction and keep-alive all ask this one place.
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
        return required(model.entry(), model.state());
    }

    /** Required for readiness: never evicted for room, never unloaded for being idle. */
    public boolean required(ModelEntry entry, ModelState state) {
        if (state == ModelState.DISABLED || state == ModelState.REMOVED || entry.problem() != null) {
            return false;
        }
        return !(lazyLoad() && entry.manifest().isLazy());
    }

    /** Models (each version that must be resident) that are not READY, by name ({@code name/2} for other versions than 1): empty means ready to serve. */
    public List<String> notReady(List<ModelStatus> models) {
        return models.stream().filter(this::mustBeResident).filter(m -> m.state() != ModelState.READY)
                .map(m -> m.version() == 1 ? m.name() : m.entry().ref().toString()).toList();
    }
}
