package dev.kiln.setup;

import dev.kiln.catalog.ModelName;
import dev.kiln.pipelines.Pipelines;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelState;
import dev.kiln.registry.ModelStatus;
import dev.kiln.registry.ResidencyPolicy;
import dev.kiln.setup.SetupRecords.ModelChange;
import dev.kiln.errors.KilnError;
import jakarta.enterprise.context.ApplicationScoped;

/** Enable, disable, uninstall and rescan: the operator's switches, each asking the registry (or the pipelines, for a pipeline). */
@ApplicationScoped
public class ModelAdmin {

    private final ModelRegistry registry;
    private final ResidencyPolicy residency;
    private final VersionRows versions;
    private final Pipelines pipelines;

    public ModelAdmin(ModelRegistry registry, ResidencyPolicy residency, VersionRows versions, Pipelines pipelines) {
        this.registry = registry;
        this.versions = versions;
        this.residency = residency;
        this.pipelines = pipelines;
    }

    public ModelChange setEnabled(String name, Boolean enabled) {
        requireName(name);
        if (enabled == null) {
            throw KilnError.invalid("field 'enabled' is required (true or false)");
        }
        if (isPipeline(name)) {
            ModelStatus s = pipelines.setEnabled(name, enabled);
            return change(s, enabled ? "enabled" : "disabled: running requests finish, new ones get 409");
        }
        if (!enabled) {
            ModelStatus s = registry.disable(name);
            return change(s, "disabled: in-flight requests finished, new ones get 409");
        }
        ModelStatus s = registry.enable(name);
        if (s.state() == ModelState.AVAILABLE && residency.mustBeResident(s)) {
            s = registry.load(name);
        }
        return change(s, s.state() == ModelState.READY ? "enabled and loaded" : "enabled");
    }

    public ModelChange uninstall(String name) {
        requireName(name);
        if (isPipeline(name)) {
            pipelines.uninstall(name);
            return new ModelChange(name, "UNINSTALLED", false, null, "pipeline removed; running requests finish; its models stay");
        }
        registry.uninstall(name);
        return new ModelChange(name, "UNINSTALLED", false, null, "unloaded after in-flight requests finished; files removed");
    }

    public ModelChange uninstall(String name, int version) {
        requireName(name);
        ModelStatus s = versions.primary(registry.uninstall(name, version));
        return new ModelChange(name, s.state().name(), s.state() != ModelState.DISABLED, s.reason(), "version " + version
                + " unloaded after in-flight requests finished; its files removed; the model serves version " + s.version());
    }

    /** New model directories appear, removed ones are unloaded and dropped. */
    public void rescan() {
        registry.rescan();
        pipelines.rescan();
    }

    private boolean isPipeline(String name) {
        return registry.find(name).isEmpty() && pipelines.find(name).isPresent();
    }

    private static void requireName(String name) {
        if (name == null) {
            throw KilnError.invalid("field 'name' is required");
        }
        ModelName.require(name);
    }

    private static ModelChange change(ModelStatus s, String message) {
        return new ModelChange(s.name(), s.state().name(), s.state() != ModelState.DISABLED, s.reason(), message);
    }
}
