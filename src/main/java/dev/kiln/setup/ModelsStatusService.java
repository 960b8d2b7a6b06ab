package dev.kiln.setup;

import dev.kiln.inference.InferenceService;
import dev.kiln.pipelines.Pipelines;
import dev.kiln.registry.MemoryBudget;
import dev.kiln.registry.ModelState;
import dev.kiln.registry.ModelStatus;
import dev.kiln.registry.ModelVersions;
import dev.kiln.registry.ResidencyPolicy;
import dev.kiln.registry.ServedModels;
import dev.kiln.telemetry.StepMeters;
import dev.kiln.setup.SetupRecords.InstalledModel;
import dev.kiln.setup.SetupRecords.ModelsStatus;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * {@code GET /api/v1/setup/models/status}: every installed model and pipeline, what state it is in and
 * whether it could load; one entry per model, its versions inside; a pipeline with its steps and the
 * models it runs.
 */
@ApplicationScoped
public class ModelsStatusService {

    private final ServedModels served;
    private final MemoryBudget memory;
    private final ResidencyPolicy residency;
    private final InferenceService inference;
    private final VersionRows versions;
    private final Pipelines pipelines;
    private final StepMeters steps;

    public ModelsStatusService(ServedModels served, MemoryBudget memory, ResidencyPolicy residency, InferenceService inference,
                               VersionRows versions, Pipelines pipelines, StepMeters steps) {
        this.served = served;
        this.versions = versions;
        this.memory = memory;
        this.residency = residency;
        this.inference = inference;
        this.pipelines = pipelines;
        this.steps = steps;
    }

    public ModelsStatus status() {
        List<ModelVersions> models = served.models();
        Predicate<ModelStatus> loadable = served.loadable(served.list(), memory, residency);
        List<InstalledModel> installed = models.stream().map(m -> installed(m, loadable)).toList();
        // Counted as the entries say (the seed checks loaded_models_count against them): a model is loaded when its default version is.
        return new ModelsStatus((int) installed.stream().filter(InstalledModel::loaded).count(), models.size(), installed);
    }

    private InstalledModel installed(ModelVersions model, Predicate<ModelStatus> loadable) {
        ModelStatus m = versions.primary(model);
        boolean pipeline = ServedModels.isComposite(m);
        return new InstalledModel(m.name(), m.category(), m.entry().manifest().provider(), m.loaded(), loadable.test(m),
                m.entry().manifest().isLazy(), m.entry().sizeGb(), m.entry().manifest().inferenceEngine(), m.state().name(),
                m.state() != ModelState.DISABLED, m.loaded() ? m.executionProvider() : null, m.providerFallbacks(),
                m.reason(), m.entry().manifest().description(), m.inFlight(), m.loadCount(), m.memoryBytes(),
                m.memoryMeasured(), pipeline ? "in its steps: see each model's" : inference.batching(m),
                pipeline ? steps(m.name()) : null, pipeline ? served.modelsOf(m.name()) : null, m.version(),
                model.manifest().policy().text(), model.manifest().routingOrNone().aliasesOrEmpty(), versions.rows(model));
    }

    private List<SetupRecords.PipelineStep> steps(String pipeline) {
        Map<String, StepMeters.Use> use = steps.use(pipeline);
        return pipelines.steps(pipeline).stream().map(s -> {
            StepMeters.Use u = use.get(s.name());
            return new SetupRecords.PipelineStep(s.name(), s.runs(), s.models(), u == null ? 0 : u.runs(),
                    u == null ? null : Math.round(u.meanMs() * 100) / 100.0, u == null ? null : Math.round(u.meanRows() * 100) / 100.0);
        }).toList();
    }
}
