package dev.kiln.setup;

import dev.kiln.inference.InferenceService;
import dev.kiln.registry.MemoryBudget;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelState;
import dev.kiln.registry.ModelStatus;
import dev.kiln.registry.ModelVersions;
import dev.kiln.registry.ResidencyPolicy;
import dev.kiln.setup.SetupRecords.InstalledModel;
import dev.kiln.setup.SetupRecords.ModelCounts;
import dev.kiln.setup.SetupRecords.ModelsStatus;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.function.Predicate;

/**
 * {@code GET /api/v1/setup/models/status}: every installed model, what state it is in and whether it
 * could load; one entry per model, its versions inside.
 */
@ApplicationScoped
public class ModelsStatusService {

    private final ModelRegistry registry;
    private final MemoryBudget memory;
    private final ResidencyPolicy residency;
    private final InferenceService inference;
    private final VersionRows versions;

    public ModelsStatusService(ModelRegistry registry, MemoryBudget memory, ResidencyPolicy residency, InferenceService inference,
                               VersionRows versions) {
        this.registry = registry;
        this.versions = versions;
        this.memory = memory;
        this.residency = residency;
        this.inference = inference;
    }

    public ModelsStatus status() {
        List<ModelVersions> models = registry.models();
        Predicate<ModelStatus> loadable = memory.loadable(registry.list(), residency);
        List<InstalledModel> installed = models.stream().map(m -> installed(m, loadable)).toList();
        return new ModelsStatus(ModelCounts.of(models).loaded(), models.size(), installed);
    }

    private InstalledModel installed(ModelVersions model, Predicate<ModelStatus> loadable) {
        ModelStatus m = versions.primary(model);
        return new InstalledModel(m.name(), m.category(), m.entry().manifest().provider(), m.loaded(), loadable.test(m),
                m.entry().manifest().isLazy(), m.entry().sizeGb(), m.entry().manifest().inferenceEngine(), m.state().name(),
                m.state() != ModelState.DISABLED, m.loaded() ? m.executionProvider() : null, m.providerFallbacks(),
                m.reason(), m.entry().manifest().description(), m.inFlight(), m.loadCount(), m.memoryBytes(),
                m.memoryMeasured(), inference.batching(m), m.version(), model.manifest().policy().text(),
                model.manifest().routingOrNone().aliasesOrEmpty(), versions.rows(model));
    }
}
