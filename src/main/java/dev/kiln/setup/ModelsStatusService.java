package dev.kiln.setup;

import dev.kiln.inference.InferenceService;
import dev.kiln.registry.MemoryBudget;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelState;
import dev.kiln.registry.ModelStatus;
import dev.kiln.registry.ResidencyPolicy;
import dev.kiln.setup.SetupRecords.InstalledModel;
import dev.kiln.setup.SetupRecords.ModelCounts;
import dev.kiln.setup.SetupRecords.ModelsStatus;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.function.Predicate;

/** {@code GET /api/v1/setup/models/status}: every installed model, what state it is in and whether it could load. */
@ApplicationScoped
public class ModelsStatusService {

    private final ModelRegistry registry;
    private final MemoryBudget memory;
    private final ResidencyPolicy residency;
    private final InferenceService inference;

    public ModelsStatusService(ModelRegistry registry, MemoryBudget memory, ResidencyPolicy residency, InferenceService inference) {
        this.registry = registry;
        this.memory = memory;
        this.residency = residency;
        this.inference = inference;
    }

    public ModelsStatus status() {
        List<ModelStatus> all = registry.list();
        Predicate<ModelStatus> loadable = memory.loadable(all, residency);
        List<InstalledModel> installed = all.stream().map(m -> installed(m, loadable.test(m))).toList();
        return new ModelsStatus(ModelCounts.of(all).loaded(), all.size(), installed);
    }

    private InstalledModel installed(ModelStatus m, boolean canLoad) {
        return new InstalledModel(m.name(), m.category(), m.entry().manifest().provider(), m.loaded(), canLoad,
                m.entry().manifest().isLazy(), m.entry().sizeGb(), m.entry().manifest().inferenceEngine(), m.state().name(),
                m.state() != ModelState.DISABLED, m.loaded() ? m.executionProvider() : null, m.providerFallbacks(),
                m.reason(), m.entry().manifest().description(), m.inFlight(), m.loadCount(), m.memoryBytes(),
                m.memoryMeasured(), inference.batching(m));
    }
}
