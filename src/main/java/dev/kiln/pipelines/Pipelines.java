package dev.kiln.pipelines;

import dev.kiln.catalog.Category;
import dev.kiln.catalog.ModelEntry;
import dev.kiln.catalog.ModelManifest;
import dev.kiln.catalog.ModelRepository;
import dev.kiln.config.AiModelsConfig;
import dev.kiln.errors.KilnError;
import dev.kiln.registry.Composites;
import dev.kiln.registry.ModelConflictException;
import dev.kiln.registry.ModelLifecycleEvent;
import dev.kiln.registry.ModelNotFoundException;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelStatus;
import dev.kiln.registry.ModelUnavailableException;
import dev.kiln.runtime.OnnxEngine;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pipelines of the repository: read from their pipeline.yaml at startup and at each rescan,
 * checked against the models they name (again whenever one of those models changes), and reported
 * beside the models. A pipeline holds no session: its state follows its models' (READY when all are).
 * The operator's switches (enable, disable, uninstall, load, unload) act here; running one is
 * {@link PipelineRunner}'s.
 */
@ApplicationScoped
public class Pipelines implements Composites {

    private static final Logger LOG = Logger.getLogger(Pipelines.class);

    /** One pipeline as last read: its file, then its plan or the problem, checked against these model entries. */
    private record Definition(String name, PipelineManifest manifest, long modified, PipelinePlan plan, String problem,
                              Map<String, Optional<ModelEntry>> checkedAgainst) {
    }

    private final ModelRegistry registry;
    private final ModelRepository repository;
    private final OnnxEngine engine;
    private final Event<ModelLifecycleEvent> events;
    private final AiModelsConfig config;
    private final PipelineFiles files;
    private final Map<String, Definition> definitions = new ConcurrentSkipListMap<>();
    private final Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    private final AtomicLong revision = new AtomicLong();

    public Pipelines(ModelRegistry registry, ModelRepository repository, OnnxEngine engine, AiModelsConfig config,
                     Event<ModelLifecycleEvent> events) {
        this.registry = registry;
        this.repository = repository;
        this.engine = engine;
        this.config = config;
        this.events = events;
        this.files = new PipelineFiles(repository.root());
    }

    /** After the registry's own scan: the models are known, so pipelines can be checked against them. */
    void onStart(@Observes @Priority(20) StartupEvent ev) {
        rescan();
        LOG.infof("%d pipeline(s)%s", definitions.size(), definitions.isEmpty() ? "" : ": " + String.join(", ", definitions.keySet()));
    }

    /** Reads the pipeline directories again: new ones appear, changed ones are checked again, removed ones go. */
    public synchronized void rescan() {
        Set<String> onDisk = new TreeSet<>(files.names());
        for (String name : List.copyOf(definitions.keySet())) {
            if (!onDisk.contains(name)) {
                forget(name, "directory removed");
            }
        }
        for (String name : onDisk) {
            Definition known = definitions.get(name);
            long modified = files.modified(name);
            if (known == null || known.modified() != modified) {
                Definition d = read(name, modified);
                definitions.put(name, d);
                revision.incrementAndGet();
                if (known == null) {
                    fire(name, category(d), ModelLifecycleEvent.Kind.DISCOVERED, null);
                }
                if (d.problem() != null) {
                    LOG.warnf("pipeline %s FAILED: %s", name, d.problem());
                }
            }
        }
    }

    // ---- reads (Composites) ----

    @Override
    public List<ModelStatus> list() {
        List<ModelStatus> out = new ArrayList<>();
        for (String name : definitions.keySet()) {
            Definition d = current(name);
            if (d != null) {
                out.add(PipelineStatus.of(d.name(), d.manifest(), d.plan(), d.problem(), files.directory(name), d.modified(),
                        inFlight(name), registry));
            }
        }
        return out;
    }

    @Override
    public Optional<ModelStatus> find(String name) {
        Definition d = current(name);
        return d == null ? Optional.empty() : Optional.of(PipelineStatus.of(d.name(), d.manifest(), d.plan(), d.problem(),
                files.directory(name), d.modified(), inFlight(name), registry));
    }

    @Override
    public List<String> models(String name) {
        Definition d = current(name);
        return d == null || d.plan() == null ? List.of() : d.plan().models();
    }

    @Override
    public List<String> needing(String model) {
        List<String> users = new ArrayList<>();
        for (String name : definitions.keySet()) {
            Definition d = current(name);
            if (d != null && d.plan() != null && d.manifest().isEnabled() && d.plan().models().contains(model)) {
                users.add(name);
            }
        }
        return users;
    }

    @Override
    public long revision() {
        return revision.get();
    }

    /** One step as the models status shows it: what it runs (a model, or a built-in) and the models it calls. */
    public record StepView(String name, String runs, List<String> models) {
    }

    /** The steps of a pipeline whose definition passed its checks, in the order they run (empty otherwise). */
    public List<StepView> steps(String name) {
        Definition d = current(name);
        return d == null || d.plan() == null ? List.of()
                : d.plan().steps().stream().map(s -> new StepView(s.name(), s.what(), s.uses())).toList();
    }

    /** Why a caller that asked for a pipeline by this name cannot have one: a model's name, or nothing. */
    KilnError notAPipeline(String name) {
        String here = definitions.isEmpty() ? "none is installed" : "pipelines here: " + String.join(", ", definitions.keySet());
        return registry.find(name).isPresent()
                ? KilnError.notFound("'" + name + "' is a model, not a pipeline (" + here + "); run a model with POST /v2/models/"
                        + name + "/infer")
                : KilnError.notFound("unknown pipeline '" + name + "' (" + here + ")");
    }

    boolean has(String name) {
        return definitions.containsKey(name);
    }

    /** What a request to the pipeline runs: 404 unknown, 409 disabled, 503 when its definition cannot run. */
    PipelinePlan runnable(String name) {
        Definition d = current(name);
        if (d == null) {
            throw new ModelNotFoundException(name);
        }
        if (d.problem() != null) {
            throw new ModelUnavailableException("pipeline '" + name + "' cannot run: " + d.problem(), null);
        }
        if (!d.manifest().isEnabled()) {
            throw new ModelConflictException("pipeline '" + name + "' is disabled");
        }
        return d.plan();
    }

    void began(String name) {
        running.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
    }

    void ended(String name) {
        AtomicInteger n = running.get(name);
        if (n != null) {
            n.decrementAndGet();
        }
    }

    private int inFlight(String name) {
        AtomicInteger n = running.get(name);
        return n == null ? 0 : n.get();
    }

    // ---- the operator's switches ----

    @Override
    public ModelStatus load(String name) {
        PipelinePlan plan = loadable(name);
        if (plan != null) {
            plan.models().forEach(registry::load);
        }
        return find(name).orElseThrow(() -> new ModelNotFoundException(name));
    }

    @Override
    public ModelStatus unload(String name) {
        Definition d = known(name);
        if (d.plan() != null) {
            d.plan().models().forEach(registry::unload);
        }
        return find(name).orElseThrow(() -> new ModelNotFoundException(name));
    }

    private PipelinePlan loadable(String name) {
        Definition d = known(name);
        if (d.manifest() != null && !d.manifest().isEnabled()) {
            throw new ModelConflictException("pipeline '" + name + "' is disabled: enable it before loading");
        }
        return d.plan();
    }

    /** Writes {@code enabled} into its pipeline.yaml (atomically) and reads it again. */
    public synchronized ModelStatus setEnabled(String name, boolean enabled) {
        Definition d = known(name);
        if (d.manifest() == null) {
            throw new ModelConflictException("pipeline '" + name + "' cannot be changed: " + d.problem());
        }
        if (d.manifest().isEnabled() != enabled) {
            files.write(name, d.manifest().withEnabled(enabled));
            definitions.put(name, read(name, files.modified(name)));
            revision.incrementAndGet();
        }
        return find(name).orElseThrow(() -> new ModelNotFoundException(name));
    }

    /** Removes its directory; requests already running finish (they hold their models' leases). */
    public synchronized void uninstall(String name) {
        known(name);
        repository.delete(name);
        forget(name, "uninstalled");
    }

    private Definition known(String name) {
        Definition d = current(name);
        if (d == null) {
            throw new ModelNotFoundException(name);
        }
        return d;
    }

    // ---- reading and checking ----

    private Definition read(String name, long modified) {
        PipelineManifest m;
        try {
            m = files.read(name);
        } catch (PipelineProblem p) {
            return new Definition(name, null, modified, null, p.getMessage(), Map.of());
        }
        return check(name, m, modified);
    }

    private Definition check(String name, PipelineManifest m, long modified) {
        Map<String, Optional<ModelEntry>> against = entries(referenced(m));
        try {
            PipelinePlan plan = PipelineCheck.plan(name, m, new PipelineCheck.Models() {
                @Override
                public Optional<ModelEntry> entry(String model) {
                    return against.containsKey(model) ? against.get(model) : Optional.empty();
                }

                @Override
                public dev.kiln.runtime.OnnxFileSignature.Signature signature(ModelEntry entry) throws IOException {
                    return engine.signature(entry);
                }
            }, config.ocr().maxPixels());
            return new Definition(name, m, modified, plan, null, against);
        } catch (PipelineProblem p) {
            return new Definition(name, m, modified, null, p.getMessage(), against);
        } catch (RuntimeException e) {
            return new Definition(name, m, modified, null, "pipeline.yaml cannot be checked: " + e, against);
        }
    }

    /** The definition, checked again first when a model it names was added, changed or removed since. */
    private Definition current(String name) {
        Definition d = definitions.get(name);
        if (d == null || d.manifest() == null || d.checkedAgainst().equals(entries(d.checkedAgainst().keySet()))) {
            return d;
        }
        synchronized (this) {
            Definition now = definitions.get(name);
            if (now != null && now.manifest() != null && !now.checkedAgainst().equals(entries(now.checkedAgainst().keySet()))) {
                now = check(name, now.manifest(), now.modified());
                definitions.put(name, now);
                revision.incrementAndGet();
            }
            return now;
        }
    }

    private static Set<String> referenced(PipelineManifest m) {
        Set<String> names = new LinkedHashSet<>();
        if (m != null && m.steps() != null) {
            for (PipelineManifest.StepDecl s : m.steps()) {
                if (s.model() != null) {
                    names.add(s.model());
                }
                if (s.models() != null) {
                    s.models().values().stream().filter(v -> v != null).forEach(names::add);
                }
            }
        }
        return names;
    }

    private Map<String, Optional<ModelEntry>> entries(Set<String> names) {
        Map<String, Optional<ModelEntry>> out = new HashMap<>();
        for (String n : names) {
            out.put(n, dev.kiln.catalog.ModelName.isValid(n) ? registry.findStable(n).map(ModelStatus::entry) : Optional.empty());
        }
        return out;
    }

    private void forget(String name, String why) {
        Definition gone = definitions.remove(name);
        running.remove(name);
        revision.incrementAndGet();
        if (gone != null) {
            fire(name, category(gone), ModelLifecycleEvent.Kind.REMOVED, why);
        }
    }

    private static String category(Definition d) {
        return d.manifest() != null && Category.isValid(d.manifest().category()) ? d.manifest().category() : Category.UNSPECIFIED;
    }

    private void fire(String name, String category, ModelLifecycleEvent.Kind kind, String reason) {
        try {
            events.fire(new ModelLifecycleEvent(name, category, kind, 0, false, reason));
        } catch (RuntimeException e) {
            LOG.debugf("lifecycle event %s of pipeline %s not delivered: %s", kind, name, e.getMessage());
        }
    }

    static ModelManifest manifestOf(String name, PipelineManifest m, boolean lazy) {
        String category = m != null && Category.isValid(m.category()) ? m.category() : Category.UNSPECIFIED;
        return new ModelManifest(name, category, ModelManifest.DEFAULT_PROVIDER, dev.kiln.registry.ServedModels.COMPOSITE_ENGINE, lazy,
                m == null || m.isEnabled(), false, m == null ? null : m.description(), null, null, null, null, null, null, null, null, null);
    }
}
