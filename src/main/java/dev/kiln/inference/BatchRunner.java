package dev.kiln.inference;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.kiln.errors.KilnError;
import dev.kiln.runtime.LoadedModel;
import dev.kiln.runtime.OutputTensor;
import dev.kiln.runtime.TensorBuffer;
import dev.kiln.telemetry.Tracing;
import dev.kiln.telemetry.UsageTracker;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs what a model's queue hands over: each request is read and checked on its own (so a bad one
 * fails alone and never poisons a batch), requests that stack are merged along the first dimension
 * into one ONNX Runtime run, and each caller gets exactly its own rows back. The outputs are copied
 * out of ONNX Runtime once, the leases released, and then each answer is written.
 */
final class BatchRunner {

    /** What a session takes and how its requests batch; computed once per session. */
    record Plan(V2RequestReader.Expected expected, BatchPolicy batching) {
    }

    /** Asked for at the first run, not at construction: ONNX Runtime loads off the startup path. */
    private final Supplier<OrtEnvironment> env;
    private final V2RequestReader reader;
    private final V2ResponseWriter writer;
    private final UsageTracker usage;
    private final Tracing tracing;
    private final Function<Pending, Plan> plans;

    BatchRunner(Supplier<OrtEnvironment> env, V2RequestReader reader, V2ResponseWriter writer, UsageTracker usage,
                Tracing tracing, Function<Pending, Plan> plans) {
        this.tracing = tracing;
        this.env = env;
        this.reader = reader;
        this.writer = writer;
        this.usage = usage;
        this.plans = plans;
    }

    void run(List<Pending> batch) {
        long picked = System.nanoTime();
        List<Pending> readable = new ArrayList<>();
        for (Pending p : batch) {
            p.queued.end();
            usage.recordQueue(p.model(), picked - p.enqueued);
            long t0 = System.nanoTime();
            try {
                p.request = reader.read(p.body, p.headerLength, plans.apply(p).expected());
                p.inputNanos = System.nanoTime() - t0;
                readable.add(p);
            } catch (RuntimeException e) {
                fail(p, e);
            }
        }
        for (List<Pending> group : groups(readable)) {
            execute(group);
        }
    }

    /** Requests on the same session that stack, in arrival order, up to the batch's maximum rows. */
    private List<List<Pending>> groups(List<Pending> readable) {
        List<List<Pending>> groups = new ArrayList<>();
        for (Pending p : readable) {
            int max = plans.apply(p).batching().maxBatchSize();
            List<Pending> home = null;
            for (List<Pending> g : groups) {
                Pending first = g.get(0);
                long rows = g.stream().mapToLong(x -> x.request.rows()).sum();
                if (first.lease.model() == p.lease.model() && first.request.batchesWith(p.request) && rows + p.request.rows() <= max) {
                    home = g;
                    break;
                }
            }
            if (home == null) {
                groups.add(new ArrayList<>(List.of(p)));
            } else {
                home.add(p);
            }
        }
        return groups;
    }

    private void execute(List<Pending> group) {
        Pending first = group.get(0);
        LoadedModel session = first.lease.model();
        long rows = group.stream().mapToLong(p -> p.request.rows()).sum();
        Span batchSpan = tracing.batch("kiln.batch", group.stream().map(p -> p.trace).toList(), first.model(), rows);
        Span runSpan = tracing.start("kiln.session.run", Context.current().with(batchSpan), first.model());
        List<OutputTensor> outputs;
        long t0 = System.nanoTime();
        try {
            outputs = run(session, group);
        } catch (OrtException | RuntimeException e) {
            Tracing.fail(runSpan, e);
            runSpan.end();
            batchSpan.end();
            if (group.size() > 1) {
                // A run a request's values broke: run each alone, so only that one fails.
                group.forEach(p -> execute(List.of(p)));
            } else {
                fail(first, e instanceof OrtException ort ? refusal(first.model(), ort) : e);
            }
            return;
        }
        long inferNanos = System.nanoTime() - t0;
        runSpan.end();
        batchSpan.end();
        if (group.size() > 1 && outputs.stream().anyMatch(o -> o.rows() != rows)) {
            group.forEach(p -> execute(List.of(p)));
            return;
        }
        group.forEach(p -> p.lease.close());
        long inputTotal = 0;
        long outputTotal = 0;
        long offset = 0;
        for (Pending p : group) {
            long t1 = System.nanoTime();
            try {
                V2Answer answer = group.size() > 1
                        ? writer.write(p.model(), InferenceService.VERSION, p.request, outputs, offset, p.request.rows())
                        : writer.write(p.model(), InferenceService.VERSION, p.request, outputs, 0, V2ResponseWriter.WHOLE);
                long outputNanos = System.nanoTime() - t1;
                usage.recordCompute(p.model(), p.inputNanos, inferNanos, outputNanos);
                inputTotal += p.inputNanos;
                outputTotal += outputNanos;
                succeed(p, answer);
            } catch (java.io.IOException | RuntimeException e) {
                fail(p, e);
            }
            offset += p.request.rows();
        }
        usage.recordExecution(first.model(), rows, inputTotal, inferNanos, outputTotal);
    }

    private List<OutputTensor> run(LoadedModel session, List<Pending> group) throws OrtException {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
            int inputs = group.get(0).request.inputs().size();
            for (int i = 0; i < inputs; i++) {
                int at = i;
                TensorBuffer joined = TensorBuffer.concat(group.stream().map(p -> p.request.inputs().get(at)).toList());
                feeds.put(joined.name(), joined.toOnnx(env.get()));
            }
            try (OrtSession.Result result = session.run(feeds, group.get(0).request.outputNames())) {
                List<OutputTensor> out = new ArrayList<>();
                for (Map.Entry<String, OnnxValue> e : result) {
                    out.add(OutputTensor.of(e.getKey(), e.getValue()));
                }
                return out;
            }
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    /**
     * ONNX Runtime refused to run on the request's values (indices out of range, shapes that do not
     * fit each other): the caller's mistake, in ONNX Runtime's words. Anything else is Kiln's.
     */
    static KilnError refusal(String model, OrtException e) {
        return switch (e.getCode()) {
            case ORT_INVALID_ARGUMENT, ORT_RUNTIME_EXCEPTION, ORT_FAIL -> KilnError.invalid(
                    "ONNX Runtime could not run '" + model + "' on this request: " + e.getMessage());
            default -> new KilnError(KilnError.Kind.INTERNAL, "ONNX Runtime failed to run '" + model + "': " + e.getMessage(), null, e);
        };
    }

    private static void succeed(Pending p, V2Answer answer) {
        p.answer.complete(answer);
    }

    private static void fail(Pending p, Throwable e) {
        p.lease.close();
        p.answer.completeExceptionally(e);
    }
}
