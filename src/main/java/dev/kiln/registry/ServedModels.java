package dev.kiln.registry;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Everything served by name, for the read views and the V2 questions: the registry's models and the
 * composites (pipelines) over them, each as a {@link ModelStatus}. Lifecycle decisions stay with
 * {@link ModelRegistry}; this only reads, and routes a composite's load and unload to its owner.
 */
@ApplicationScoped
public class ServedModels {

    private final ModelRegistry registry;
    private final Instance<Composites> composites;

    public ServedModels(ModelRegistry registry, Instance<Composites> composites) {
        this.registry = registry;
        this.composites = composites;
    }

    /** The models, then the composites. */
    public List<ModelStatus> list() {
        List<ModelStatus> all = new ArrayList<>(registry.list());
        composites().ifPresent(c -> all.addAll(c.list()));
        return all;
    }

    public Optional<ModelStatus> find(String name) {
        Optional<ModelStatus> model = registry.find(name);
        return model.isPresent() ? model : composites().flatMap(c -> c.find(name));
    }

    /** One version of a model, or a composite (whose only version is 1). */
    public Optional<ModelStatus> find(String name, int version) {
        Optional<ModelStatus> model = registry.find(name, version);
        return model.isPresent() || version != 1 ? model : composites().flatMap(c -> c.find(name));
    }

    /** Each model with its versions, then each composite as a model of one version. */
    public List<ModelVersions> models() {
        List<ModelVersions> all = new ArrayList<>(registry.models());
        composites().ifPresent(c -> c.list().forEach(p -> all.add(new ModelVersions(p.name(), p.entry().manifest(), List.of(1), List.of(p)))));
        return all;
    }

    /** A model's or a composite's status; 404 when neither has that name. */
    public ModelStatus status(String name) {
        Optional<ModelStatus> composite = registry.find(name).isPresent() ? Optional.empty() : composites().flatMap(c -> c.find(name));
        return composite.orElseGet(() -> registry.status(name));
    }

    public boolean composite(String name) {
        return registry.find(name).isEmpty() && composites().flatMap(c -> c.find(name)).isPresent();
    }

    /** The models a composite runs. */
    public List<String> modelsOf(String composite) {
        return composites().map(c -> c.models(composite)).orElse(List.of());
    }

    /** Changes whenever anything {@link #list()} reports about states, entries or the set of names changes. */
    public long revision() {
        return registry.revision() + composites().map(Composites::revision).orElse(0L);
    }

    /** Loads a model, or every model of a composite. */
    public ModelStatus load(String name) {
        return composite(name) ? composites().orElseThrow().load(name) : registry.load(name);
    }

    /** Unloads a model, or every model of a composite. */
    public ModelStatus unload(String name) {
        return composite(name) ? composites().orElseThrow().unload(name) : registry.unload(name);
    }

    /**
     * Whether each could load now: a model as {@link MemoryBudget#loadable} says; a composite when
     * every model it runs could. {@code all}: what {@link #list()} answered, read once per view.
     */
    public Predicate<ModelStatus> loadable(List<ModelStatus> all, MemoryBudget memory, ResidencyPolicy residency) {
        List<ModelStatus> models = all.stream().filter(m -> !isComposite(m)).toList();
        Predicate<ModelStatus> model = memory.loadable(models, residency);
        return m -> {
            if (!isComposite(m)) {
                return model.test(m);
            }
            List<String> uses = modelsOf(m.name());
            return m.state() != ModelState.DISABLED && m.entry().problem() == null && !uses.isEmpty()
                    && uses.stream().allMatch(n -> models.stream().anyMatch(x -> x.name().equals(n) && model.test(x)));
        };
    }

    /** Whether a snapshot is a composite's (its engine is not a model runtime). */
    public static boolean isComposite(ModelStatus status) {
        return COMPOSITE_ENGINE.equals(status.entry().manifest().inferenceEngine());
    }

    /** The {@code inference_engine} of a composite's snapshot. */
    public static final String COMPOSITE_ENGINE = "pipeline";

    private Optional<Composites> composites() {
        return composites.isResolvable() ? Optional.of(composites.get()) : Optional.empty();
    }
}
