package dev.kiln.pipelines;

import dev.kiln.catalog.ModelEntry;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelState;
import dev.kiln.registry.ModelStatus;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A pipeline's snapshot in a model's shape, so every view lists it beside the models. It holds no
 * session: its state follows its models' (READY when every one is; LOADING or UNLOADING while one
 * is; FAILED when its definition cannot run or a model of it cannot), its memory is what its
 * models take together, and it is lazy when any of them is.
 */
final class PipelineStatus {

    private record Derived(ModelState state, String reason) {
    }

    private PipelineStatus() {
    }

    static ModelStatus of(String name, PipelineManifest manifest, PipelinePlan plan, String problem, Path directory, long modified,
                          int inFlight, ModelRegistry registry) {
        List<ModelStatus> models = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        if (plan != null) {
            for (String m : plan.models()) {
                Optional<ModelStatus> s = registry.findStable(m);
                s.ifPresentOrElse(models::add, () -> missing.add(m));
            }
        }
        Derived d = derive(manifest, problem, models, missing);
        boolean lazy = models.stream().anyMatch(m -> m.entry().manifest().isLazy());
        ModelEntry entry = new ModelEntry(name, directory, Pipelines.manifestOf(name, manifest, lazy),
                models.stream().mapToLong(m -> m.entry().sizeBytes()).sum(), modified, problem);
        Instant loadedAt = d.state() == ModelState.READY ? models.stream().map(ModelStatus::loadedAt).filter(t -> t != null)
                .max(Instant::compareTo).orElse(null) : null;
        return new ModelStatus(entry, d.state(), d.reason(), null, List.of(), plan == null ? List.of() : plan.inputs(),
                plan == null ? List.of() : plan.outputs(), inFlight, loadedAt, 0, null,
                models.stream().mapToLong(ModelStatus::memoryBytes).sum(), !models.isEmpty() && models.stream().allMatch(ModelStatus::memoryMeasured),
                null, null, null);
    }

    private static Derived derive(PipelineManifest manifest, String problem, List<ModelStatus> models, List<String> missing) {
        if (problem != null) {
            return new Derived(ModelState.FAILED, problem);
        }
        if (!manifest.isEnabled()) {
            return new Derived(ModelState.DISABLED, "pipeline.yaml says enabled: false");
        }
        if (!missing.isEmpty()) {
            return new Derived(ModelState.FAILED, "model(s) " + missing + " are not in the repository");
        }
        for (ModelStatus m : models) {
            if (m.state() == ModelState.FAILED) {
                return new Derived(ModelState.FAILED, "model '" + m.name() + "' failed: " + m.reason());
            }
            if (m.state() == ModelState.DISABLED) {
                return new Derived(ModelState.FAILED, "model '" + m.name() + "' is disabled");
            }
        }
        if (models.stream().allMatch(ModelStatus::loaded)) {
            return new Derived(ModelState.READY, null);
        }
        List<String> down = models.stream().filter(m -> !m.loaded()).map(ModelStatus::name).toList();
        if (models.stream().anyMatch(m -> m.state() == ModelState.LOADING)) {
            return new Derived(ModelState.LOADING, "loading " + down);
        }
        if (models.stream().anyMatch(m -> m.state() == ModelState.UNLOADING)) {
            return new Derived(ModelState.UNLOADING, "unloading " + down);
        }
        return new Derived(ModelState.AVAILABLE, "models not loaded: " + down);
    }
}
