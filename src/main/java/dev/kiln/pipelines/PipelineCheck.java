package dev.kiln.pipelines;

import dev.kiln.catalog.Category;
import dev.kiln.catalog.ModelEntry;
import dev.kiln.catalog.ModelName;
import dev.kiln.pipelines.PipelineManifest.StepDecl;
import dev.kiln.pipelines.PipelineManifest.TensorDecl;
import dev.kiln.runtime.Datatype;
import dev.kiln.runtime.OnnxFileSignature;
import dev.kiln.runtime.TensorSpec;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Checks a pipeline.yaml against the repository and the built-ins, and orders its steps: every model
 * named exists and can be read, every built-in exists and accepts its options and models, every
 * step input is wired to a tensor something writes, every tensor is written once, a writer's
 * datatype and shape fit each reader's, nothing is left unread, and no step depends on itself. The
 * first problem found is the pipeline's FAILED reason.
 */
final class PipelineCheck {

    /** The repository's models as the check sees them. */
    interface Models {
        Optional<ModelEntry> entry(String name);

        OnnxFileSignature.Signature signature(ModelEntry entry) throws IOException;
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_./:-]{0,127}");

    /** A step as read, with the ports it reads and writes. */
    private record Draft(PipelinePlan.Step step, Map<String, Port> reads, Map<String, Port> writes) {
    }

    private final String directory;
    private final Models models;
    private final long maxPixels;
    private final Map<String, Port> written = new LinkedHashMap<>();
    private final Map<String, String> writer = new HashMap<>();

    private PipelineCheck(String directory, Models models, long maxPixels) {
        this.directory = directory;
        this.models = models;
        this.maxPixels = maxPixels;
    }

    /** The plan, or a {@link PipelineProblem} with the first reason it cannot run. */
    static PipelinePlan plan(String directory, PipelineManifest m, Models models, long maxPixels) {
        return new PipelineCheck(directory, models, maxPixels).check(m);
    }

    private PipelinePlan check(PipelineManifest m) {
        if (m == null) {
            throw new PipelineProblem("pipeline.yaml is empty");
        }
        if (m.name() != null && !m.name().equals(directory)) {
            throw new PipelineProblem("pipeline.yaml names '" + m.name() + "' but the directory is '" + directory + "'");
        }
        if (m.category() != null && !Category.isValid(m.category())) {
            throw new PipelineProblem("pipeline.yaml category '" + m.category() + "' is not valid: use text, image, voice, video or another lowercase word");
        }
        List<TensorSpec> inputs = declared("inputs", m.inputs());
        List<TensorSpec> outputs = declared("outputs", m.outputs());
        if (m.steps() == null || m.steps().isEmpty()) {
            throw new PipelineProblem("pipeline.yaml has no steps");
        }
        inputs.forEach(t -> write(t.name(), Port.of(t), "the pipeline's inputs"));
        List<Draft> drafts = new ArrayList<>();
        Set<String> stepNames = new HashSet<>();
        for (StepDecl d : m.steps()) {
            Draft draft = draft(d);
            if (!stepNames.add(draft.step().name())) {
                throw new PipelineProblem("two steps are named '" + draft.step().name() + "'");
            }
            draft.step().outputs().forEach((port, tensor) -> write(tensor, draft.writes().get(port), "step '" + draft.step().name() + "'"));
            drafts.add(draft);
        }
        Set<String> read = new HashSet<>();
        for (Draft d : drafts) {
            d.step().inputs().forEach((port, tensor) -> {
                fits(tensor, d.reads().get(port), "step '" + d.step().name() + "' input '" + port + "'");
                read.add(tensor);
            });
        }
        for (TensorSpec out : outputs) {
            fits(out.name(), Port.of(out), "the pipeline's output '" + out.name() + "'");
            read.add(out.name());
        }
        for (TensorSpec in : inputs) {
            if (!read.contains(in.name())) {
                throw new PipelineProblem("the pipeline's input '" + in.name() + "' is read by no step");
            }
        }
        List<PipelinePlan.Step> ordered = ordered(drafts);
        Set<String> used = new LinkedHashSet<>();
        ordered.forEach(s -> used.addAll(s.uses()));
        return new PipelinePlan(directory, inputs, outputs, ordered, List.copyOf(used));
    }

    private static List<TensorSpec> declared(String what, List<TensorDecl> decls) {
        if (decls == null || decls.isEmpty()) {
            throw new PipelineProblem("pipeline.yaml declares no " + what);
        }
        List<TensorSpec> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (TensorDecl d : decls) {
            if (d.name() == null || !NAME.matcher(d.name()).matches() || !names.add(d.name())) {
                throw new PipelineProblem("pipeline.yaml " + what + ": '" + d.name() + "' is not a name, or is given twice");
            }
            if (d.datatype() == null || Datatype.parse(d.datatype()).isEmpty()) {
                throw new PipelineProblem("pipeline.yaml " + what + " '" + d.name() + "': unknown datatype '" + d.datatype() + "'");
            }
            if (d.shape() == null || d.shape().size() > 8 || d.shape().stream().anyMatch(x -> x == null || x < -1 || x == 0)) {
                throw new PipelineProblem("pipeline.yaml " + what + " '" + d.name() + "': shape " + d.shape()
                        + " is not a list of at most 8 sizes (each -1 or at least 1)");
            }
            out.add(new TensorSpec(d.name(), d.datatype(), d.shape().stream().mapToLong(Long::longValue).toArray()));
        }
        return List.copyOf(out);
    }

    private Draft draft(StepDecl d) {
        if (d.name() == null || !NAME.matcher(d.name()).matches()) {
            throw new PipelineProblem("a step has no name, or one that is not [A-Za-z0-9_./:-]: '" + d.name() + "'");
        }
        if ((d.model() == null) == (d.builtin() == null)) {
            throw new PipelineProblem("step '" + d.name() + "' must name either a model or a builtin");
        }
        return d.model() != null ? modelStep(d) : builtinStep(d);
    }

    private Draft modelStep(StepDecl d) {
        if (d.models() != null || d.options() != null) {
            throw new PipelineProblem("step '" + d.name() + "' runs a model: 'models' and 'options' belong to built-in steps");
        }
        OnnxFileSignature.Signature s = signature(d.name(), d.model());
        Map<String, Port> reads = new LinkedHashMap<>();
        s.inputs().forEach(t -> reads.put(t.name(), Port.of(t)));
        Map<String, Port> writes = new LinkedHashMap<>();
        s.outputs().forEach(t -> writes.put(t.name(), Port.of(t)));
        PipelinePlan.Step step = new PipelinePlan.Step(d.name(), d.model(), null, null, wired(d, "input", d.inputs(), reads, true),
                wired(d, "output", d.outputs(), writes, false), List.of(d.model()));
        return new Draft(step, reads, writes);
    }

    private Draft builtinStep(StepDecl d) {
        BuiltinSteps.Kind kind = BuiltinSteps.kind(d.name(), d.builtin());
        Map<String, String> named = d.models() == null ? Map.of() : d.models();
        Map<String, BuiltinSteps.Role> roles = new LinkedHashMap<>();
        for (String role : new TreeSet<>(kind.roles())) {
            if (named.containsKey(role)) {
                roles.put(role, new BuiltinSteps.Role(named.get(role), entry(d.name(), named.get(role)), signature(d.name(), named.get(role))));
            } else if (kind.required().contains(role)) {
                throw new PipelineProblem("step '" + d.name() + "' (" + kind.name() + ") needs a model for '" + role + "' under 'models'");
            }
        }
        for (String role : named.keySet()) {
            if (!kind.roles().contains(role)) {
                throw new PipelineProblem("step '" + d.name() + "' (" + kind.name() + ") calls no model as '" + role + "'; its roles are "
                        + new TreeSet<>(kind.roles()));
            }
        }
        BuiltinStep builtin = kind.factory().apply(new BuiltinSteps.Setup(d.name(), new StepOptions(d.name(), d.options()), roles, maxPixels));
        List<String> uses = roles.values().stream().map(BuiltinSteps.Role::model).distinct().toList();
        PipelinePlan.Step step = new PipelinePlan.Step(d.name(), null, kind.name(), builtin,
                wired(d, "input", d.inputs(), builtin.inputs(), true), wired(d, "output", d.outputs(), builtin.outputs(), false), uses);
        return new Draft(step, builtin.inputs(), builtin.outputs());
    }

    /** A step's wiring: only names the step has; every input wired, at least one output. */
    private static Map<String, String> wired(StepDecl d, String what, Map<String, String> wiring, Map<String, Port> ports, boolean all) {
        Map<String, String> w = wiring == null ? Map.of() : wiring;
        for (Map.Entry<String, String> e : w.entrySet()) {
            if (!ports.containsKey(e.getKey())) {
                throw new PipelineProblem("step '" + d.name() + "' has no " + what + " '" + e.getKey() + "'; its " + what + "s are " + ports.keySet());
            }
            if (e.getValue() == null || !NAME.matcher(e.getValue()).matches()) {
                throw new PipelineProblem("step '" + d.name() + "' " + what + " '" + e.getKey() + "' is wired to '" + e.getValue()
                        + "', which is not a tensor name");
            }
        }
        if (all) {
            for (String port : ports.keySet()) {
                if (!w.containsKey(port)) {
                    throw new PipelineProblem("step '" + d.name() + "' leaves its input '" + port + "' unconnected");
                }
            }
        } else if (w.isEmpty()) {
            throw new PipelineProblem("step '" + d.name() + "' writes no output; its outputs are " + ports.keySet());
        }
        Map<String, String> ordered = new LinkedHashMap<>();
        ports.keySet().stream().filter(w::containsKey).forEach(p -> ordered.put(p, w.get(p)));
        return ordered;
    }

    private ModelEntry entry(String step, String model) {
        Optional<ModelEntry> e = ModelName.isValid(model) ? models.entry(model) : Optional.empty();
        return e.orElseThrow(() -> new PipelineProblem("step '" + step + "' names the model '" + model + "', which is not in the repository"));
    }

    private OnnxFileSignature.Signature signature(String step, String model) {
        ModelEntry e = entry(step, model);
        try {
            return models.signature(e);
        } catch (IOException | RuntimeException ex) {
            throw new PipelineProblem("step '" + step + "': the model '" + model + "' cannot be read: " + ex.getMessage());
        }
    }

    private void write(String tensor, Port port, String by) {
        String earlier = writer.putIfAbsent(tensor, by);
        if (earlier != null) {
            throw new PipelineProblem("the tensor '" + tensor + "' is written by " + earlier + " and by " + by + ": each tensor is written once");
        }
        written.put(tensor, port);
    }

    private void fits(String tensor, Port reader, String where) {
        Port w = written.get(tensor);
        if (w == null) {
            throw new PipelineProblem(where + " reads the tensor '" + tensor + "', which no step writes and the pipeline does not take");
        }
        String mismatch = w.mismatch(reader);
        if (mismatch != null) {
            throw new PipelineProblem(where + " reads the tensor '" + tensor + "' from " + writer.get(tensor) + ": " + mismatch);
        }
    }

    /** Kahn's order over "reads what the other writes"; steps left over depend on each other in a cycle. */
    private static List<PipelinePlan.Step> ordered(List<Draft> drafts) {
        Map<String, String> writerOf = new HashMap<>();
        drafts.forEach(d -> d.step().outputs().values().forEach(t -> writerOf.put(t, d.step().name())));
        Map<String, Set<String>> needs = new LinkedHashMap<>();
        for (Draft d : drafts) {
            Set<String> before = new LinkedHashSet<>();
            d.step().inputs().values().stream().map(writerOf::get).filter(w -> w != null).forEach(before::add);
            needs.put(d.step().name(), before);
        }
        Map<String, PipelinePlan.Step> byName = new LinkedHashMap<>();
        drafts.forEach(d -> byName.put(d.step().name(), d.step()));
        // Kahn's order, in linear time (a scan of every step after each one cost the cube of their
        // number: 2,896 steps in a 250 KB file took 20 s at every rescan). Steps that become ready
        // together keep the order they are written in.
        List<String> declared = List.copyOf(needs.keySet());
        Map<String, Integer> position = new HashMap<>();
        Map<String, Integer> waitingFor = new HashMap<>();
        Map<String, List<String>> after = new HashMap<>();
        for (int i = 0; i < declared.size(); i++) {
            String step = declared.get(i);
            position.put(step, i);
            waitingFor.put(step, needs.get(step).size());
            needs.get(step).forEach(w -> after.computeIfAbsent(w, k -> new ArrayList<>()).add(step));
        }
        List<PipelinePlan.Step> out = new ArrayList<>();
        Deque<String> ready = new ArrayDeque<>();
        declared.stream().filter(step -> waitingFor.get(step) == 0).forEach(ready::add);
        Set<String> done = new HashSet<>();
        while (!ready.isEmpty()) {
            String step = ready.poll();
            done.add(step);
            out.add(byName.get(step));
            after.getOrDefault(step, List.of()).stream()
                    .filter(next -> waitingFor.merge(next, -1, Integer::sum) == 0)
                    .sorted(Comparator.comparing(position::get))
                    .forEach(ready::add);
        }
        if (out.size() < drafts.size()) {
            List<String> cycle = needs.keySet().stream().filter(s -> !done.contains(s)).toList();
            throw new PipelineProblem("steps " + cycle + " depend on each other in a cycle");
        }
        return List.copyOf(out);
    }
}
