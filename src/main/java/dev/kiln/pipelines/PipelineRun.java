package dev.kiln.pipelines;

import dev.kiln.errors.KilnError;
import dev.kiln.errors.OutOfMemory;
import dev.kiln.inference.InferenceCall;
import dev.kiln.inference.ModelInputs;
import dev.kiln.registry.Lease;
import dev.kiln.runtime.OutputTensor;
import dev.kiln.runtime.TensorSpec;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One request to a pipeline. The request is read, its steps run in order and its answer written on
 * the step pool; each model step is an ordinary call to the inference core, whose answer hops back
 * to the step pool before anything else runs. Steps before the first one that needs a model run
 * first (a file that is not an image is refused without touching a model); from then on the
 * request holds a lease on every model of the pipeline until it ends, however it ends.
 */
final class PipelineRun<T> {

    private final PipelineRunner runner;
    private final String name;
    private final PipelinePlan plan;
    private final InferenceCall<T> call;
    private final Map<String, Tensor> tensors = new ConcurrentHashMap<>();
    private final List<Lease> leases = new ArrayList<>();
    private final StepContext context;
    private final Context trace = Context.current();
    private final long arrived = System.nanoTime();
    private Set<String> wanted = Set.of();

    PipelineRun(PipelineRunner runner, String name, PipelinePlan plan, InferenceCall<T> call) {
        this.runner = runner;
        this.name = name;
        this.plan = plan;
        this.call = call;
        this.context = new StepContext(new InferenceModelCalls(runner.inference, runner.pool, trace, call::abandoned), runner.inflight);
    }

    /** Answers once the request has ended and everything it held is given back. */
    CompletableFuture<T> start() {
        CompletableFuture<T> answer = new CompletableFuture<>();
        runner.pipelines.began(name);
        // The whole chain is built on the step pool, so no continuation can fall on the caller's thread (an event loop).
        runner.pool.execute(() -> {
            CompletableFuture<T> run;
            try {
                read();
                run = step(0).thenApply(done -> call.encode(outputs()));
            } catch (Throwable t) {
                run = CompletableFuture.failedFuture(t);
            }
            run.whenComplete((result, failure) -> {
                Throwable f = failure == null ? null : failure(failure);
                finish(f);
                if (f == null) {
                    answer.complete(result);
                } else {
                    answer.completeExceptionally(f);
                }
            });
        });
        return answer;
    }

    private void read() {
        gone();
        ModelInputs in = call.decode(plan.signature());
        for (int i = 0; i < plan.inputs().size(); i++) {
            tensors.put(plan.inputs().get(i).name(), Tensor.of(in.tensors().get(i)));
        }
        wanted = in.outputs();
    }

    private CompletableFuture<Void> step(int index) {
        if (index == plan.steps().size()) {
            return CompletableFuture.completedFuture(null);
        }
        gone();
        PipelinePlan.Step step = plan.steps().get(index);
        CompletableFuture<Void> ready = step.uses().isEmpty() || !leases.isEmpty() || plan.models().isEmpty()
                ? CompletableFuture.completedFuture(null)
                : runner.leases.acquire(plan).thenAccept(leases::addAll);
        return ready.thenCompose(v -> run(step)).thenCompose(v -> step(index + 1));
    }

    private CompletableFuture<Void> run(PipelinePlan.Step step) {
        gone();
        long start = System.nanoTime();
        if (step.isModel()) {
            long rows = tensors.get(step.inputs().values().iterator().next()).rows();
            CompletableFuture<Map<String, Tensor>> out;
            try (Scope s = trace.makeCurrent()) {
                out = runner.inference.inferStable(step.model(), new ModelStepCall(step, tensors, call::abandoned)).toCompletableFuture();
            }
            return out.thenAcceptAsync(written -> {
                tensors.putAll(written);
                runner.steps.record(name, step.name(), System.nanoTime() - start, rows);
            }, runner.pool);
        }
        Map<String, Tensor> in = new LinkedHashMap<>();
        step.inputs().forEach((port, tensor) -> in.put(port, tensors.get(tensor)));
        return step.builtin().run(in, context).thenAccept(out -> {
            step.outputs().forEach((port, tensor) -> tensors.put(tensor, out.get(port)));
            runner.steps.record(name, step.name(), System.nanoTime() - start, step.builtin().rows(in, out));
        });
    }

    /**
     * The outputs asked for (all when none was named), in the pipeline's order, each as pipeline.yaml
     * declares it, and together no larger than Kiln writes: a pipeline's answer size is known only
     * once its steps have run, so it is weighed here, before it is written.
     */
    private List<OutputTensor> outputs() {
        List<OutputTensor> out = new ArrayList<>();
        long bytes = 0;
        for (TensorSpec spec : plan.outputs()) {
            if (wanted.isEmpty() || wanted.contains(spec.name())) {
                OutputTensor o = tensors.get(spec.name()).output(spec.name());
                DeclaredOutput.check(name, spec, o);
                bytes += call.answerBytes(spec.name(), o.type(), o.elements());
                out.add(o);
            }
        }
        if (bytes > runner.inflight.maxAnswer()) {
            throw new KilnError(KilnError.Kind.TOO_LARGE, "the answer of pipeline '" + name + "' would take about " + bytes
                    + " bytes, more than Kiln writes (ai.models.inference.max-answer-bytes " + runner.inflight.maxAnswer()
                    + "): ask for binary outputs (binary_data_output) or fewer outputs, or send a smaller input");
        }
        return out;
    }

    private void gone() {
        if (call.abandoned()) {
            throw KilnError.unavailable("the caller of '" + name + "' went away before its request was answered", null);
        }
    }

    /** Gives back the models and the memory the request held, then counts it. */
    private void finish(Throwable failure) {
        leases.forEach(Lease::close);
        context.close();
        runner.pipelines.ended(name);
        String outcome = failure == null ? "success"
                : failure instanceof KilnError e ? (e.callersFault() || e.kind() == KilnError.Kind.CONFLICT ? "invalid" : "unavailable")
                : "error";
        runner.usage.recordInference(name, outcome, System.nanoTime() - arrived);
    }

    /** What any failure becomes for the caller: a KilnError as it is, memory exhaustion 507, anything else Kiln's own 500. */
    private Throwable failure(Throwable t) {
        Throwable f = t;
        while (f instanceof CompletionException && f.getCause() != null) {
            f = f.getCause();
        }
        if (f instanceof KilnError) {
            return f;
        }
        OutOfMemoryError oom = OutOfMemory.find(f);
        if (oom != null) {
            OutOfMemory.report("a request to pipeline '" + name + "'", oom);
            return new KilnError(KilnError.Kind.INSUFFICIENT_MEMORY, "Kiln ran out of memory running pipeline '" + name + "' ("
                    + oom.getMessage() + "): retry shortly", 1, f);
        }
        return new KilnError(KilnError.Kind.INTERNAL, "pipeline '" + name + "' failed: " + f, null, f);
    }
}
