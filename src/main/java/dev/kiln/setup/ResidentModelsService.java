package dev.kiln.setup;

import dev.kiln.config.RuntimeSettings;
import dev.kiln.files.ReplicaId;
import dev.kiln.registry.MemoryBudget;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelState;
import dev.kiln.registry.ModelStatus;
import dev.kiln.registry.ResidencyPolicy;
import dev.kiln.setup.SetupRecords.ResidentModel;
import dev.kiln.setup.SetupRecords.ResidentModels;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;

/** {@code GET /api/v1/setup/ai-models/loaded}: resident models (and those on their way in or out), what they take, when they may go. */
@ApplicationScoped
public class ResidentModelsService {

    private final ModelRegistry registry;
    private final MemoryBudget memory;
    private final ResidencyPolicy residency;

    public ResidentModelsService(ModelRegistry registry, MemoryBudget memory, ResidencyPolicy residency) {
        this.registry = registry;
        this.memory = memory;
        this.residency = residency;
    }

    public ResidentModels resident() {
        List<ResidentModel> models = registry.list().stream()
                .filter(m -> m.state() == ModelState.READY || m.state() == ModelState.LOADING || m.state() == ModelState.UNLOADING)
                .map(this::row)
                .toList();
        return new ResidentModels(memory.budgetBytes(), memory.source(), memory.used(), memory.free(),
                memory.maxLoadedModels().isPresent() ? memory.maxLoadedModels().getAsInt() : null, registry.openSessions(), models,
                ReplicaId.get());
    }

    private ResidentModel row(ModelStatus m) {
        return new ResidentModel(m.name(), m.category(), m.state().name(), m.memoryBytes(), m.memoryMeasured(),
                m.executionProvider(), m.loadedAt(), m.lastUsed(), m.expiresAt(),
                m.keepAlive() == null ? null : RuntimeSettings.format(m.keepAlive()), m.inFlight(), m.pinned(),
                residency.mustBeResident(m));
    }
}
