package dev.kiln.inference;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.kiln.catalog.ModelManifest;
import dev.kiln.errors.KilnError;
import dev.kiln.runtime.Datatype;
import dev.kiln.runtime.LoadedModel;
import dev.kiln.runtime.OutputTensor;
import dev.kiln.runtime.RunMemoryGuard;
import dev.kiln.runtime.TensorBuffer;
import dev.kiln.runtime.WarmupInputs;
import dev.kiln.telemetry.Tracing;
import dev.kiln.telemetry.UsageTracker;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs what a model's queue hands over. Each call is read and checked on its own (so a bad one
 * fails alone and never poisons a batch) and its answer's size weighed before anything runs;
 * single calls that stack are merged along the first dimension into one ONNX Runtime run, and each
 * caller gets exactly its own rows back; a unit of several calls runs them back to back. Outputs
 * are copied out of ONNX Runtime once, then each answer is written. Whatever is thrown at any
 * stage, an Error included, ends the calls it concerns: no caller waits forever, no lease stays held.
 */
final class BatchRunner {

    private static final Logger LOG = Logger.getLogger(BatchRunner.class);

    /** What a session takes and how its requests batch; computed once per session. */
    record Plan(ModelSignature signature, BatchPolicy batching, RunCost cost, ModelManifest manifest, ArenaDebt arena) {

        Plan(ModelSignature signature, BatchPolicy batching, ModelManifest manifest) {
            this(signature, batching, new RunCost(), manifest, new ArenaDebt());
        }
    }

    /** A session's runs in flight, and whether one of them left its arena holding more than it should. */
    static final class ArenaDebt {
        private int running;
        private boolean owed;

        synchronized void runStarted() {
            running++;
        }

        /** True when this ended the session's last run in flight and a run since the last give-back grew it. */
        synchronized boolean runEnded(boolean grew) {
            owed |= grew;
            if (--running > 0 || !owed) {
                return false;
            }
            owed = false;
            return true;
        }
    }

    /** Asked for at the first run, not at construction: ONNX Runtime loads off the startup path. */
    private final Supplier<OrtEnvironment> env;
    private final UsageTracker usage;
    private final Tracing tracing;
    private final InflightBytes inflight;
    private final Function<Pending, Plan> plans;
    private final RunMemoryGuard guard;
    /** A run that grew the process by more than this gives its session's arena back (0: never). */
    private final long giveBackAbove;

    BatchRunner(Supplier<OrtEnvironment> env, UsageTracker usage, Tracing tracing, InflightBytes inflight,
                Function<Pending, Plan> plans, RunMemoryGuard guard, long giveBackAbove) {
        this.guard = guard;
        this.giveBackAbove = giveBackAbove;
        this.env = env;
        this.usage = usage;
        this.tracing = tracing;
        this.inflight = inflight;
        this.plans = plans;
    }

    /** Runs what a task took; every pending it took has its part ended here, however it went. */
    void run(ModelQueue.Work work) {
        int part = work.part();
        try {
            if (work.unit()) {
                runPart(work.batch().get(0), part);
            } else {
                runSingles(work.batch());
            }
        } catch (Throwable t) {
            work.batch().forEach(p -> p.fail(Failures.of(p.model(), t)));
        } finally {
            for (Pending p : work.batch()) {
                if (p.partEnded(p.parts.get(part).answered) && p.counted) {
                    usage.recordCompute(p.model(), p.version(), p.inputNanos, p.inferNanos, p.outputNanos);
                }
            }
        }
    }

    /**
     * A lone request taken on the thread that received it (an event loop) is read there; true when
     * its run may follow there too: its tensor values, which a client cannot pad as it can a body,
     * foresee it under {@code below}. One that could not be read is answered already: true.
     */
    boolean readHere(ModelQueue.Work work, long below) {
        Pending p = work.batch().get(0);
        waited(p);
        if (!decoded(p, 0)) {
            return true;
        }
        long foreseen = plans.apply(p).cost().foreseeRun(p.inputs().elements());
        return foreseen >= 0 && foreseen < below;
    }

    private void runSingles(List<Pending> batch) {
        List<Pending> readable = new ArrayList<>();
        for (Pending p : batch) {
            if (p.inputs() != null) {
                readable.add(p); // read where it arrived (readHere)
                continue;
            }
            if (p.ended()) {
                continue; // failed while read where it arrived: answered
            }
            waited(p);
            if (decoded(p, 0)) {
                readable.add(p);
            }
        }
        for (List<Pending> group : groups(readable)) {
            execute(group, 0);
        }
    }

    /** One part of a unit, on whichever worker of the model claimed it; the others run the unit's other parts. */
    private void runPart(Pending p, int part) {
        if (part == 0) {
            waited(p);
        }
        if (!p.ended() && decoded(p, part)) {
            execute(List.of(p), part);
        }
    }

    private void waited(Pending p) {
        p.queued.end();
        if (p.counted) {
            usage.recordQueue(p.model(), p.version(), System.nanoTime() - p.enqueued);
        }
    }

    /** Reads one call and reserves its answer's bytes; false (and the unit answered) when that fails. */
    private boolean decoded(Pending p, int index) {
        long t0 = System.nanoTime();
        Pending.Part part = p.parts.get(index);
        try {
            if (part.call.abandoned()) {
                throw KilnError.unavailable("the caller of '" + p.model() + "' went away before its request ran", null);
            }
            part.inputs = part.call.decode(plans.apply(p).signature());
            long answer = foreseenAnswer(p, part);
            part.answerBytes = inflight.tryReserve(answer).orElseThrow(() -> KilnError.unavailable("inference holds "
                    + inflight.held() + " bytes of requests and answers, and this answer needs about " + answer
                    + " more (ai.models.inference.max-queued-bytes " + inflight.limit() + "); retry shortly", 1));
            synchronized (p) {
                p.inputNanos += System.nanoTime() - t0;
            }
            return true;
        } catch (Throwable t) {
            p.fail(Failures.of(p.model(), t));
            return false;
        }
    }

    /** The answer's size where the model's declarations tell it; too large is refused here, before any work. */
    private long foreseenAnswer(Pending p, Pending.Part part) {
        Map<String, long[]> shapes = p.lease.model().outputShapes().forecast(part.inputs.tensors());
        long total = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            if (e.getValue() != null && (part.inputs.outputs().isEmpty() || part.inputs.outputs().contains(e.getKey()))) {
                Datatype type = Datatype.parse(spec(p, e.getKey())).orElse(Datatype.BYTES);
                total += part.call.answerBytes(e.getKey(), type, elements(e.getValue()));
            }
        }
        return checkAnswer(p.model(), total, "foreseen from the request's shapes");
    }

    private long checkAnswer(String model, long bytes, String how) {
        if (bytes > inflight.maxAnswer()) {
            throw new KilnError(KilnError.Kind.TOO_LARGE, "the answer of '" + model + "' would take about " + bytes
                    + " bytes (" + how + "), more than Kiln writes (ai.models.inference.max-answer-bytes " + inflight.maxAnswer()
                    + "): ask for binary outputs (binary_data_output) or fewer outputs, or send fewer rows", null, null);
        }
        return bytes;
    }

    /** Requests on the same session that stack, in arrival order, up to the batch's maximum rows. */
    private List<List<Pending>> groups(List<Pending> readable) {
        List<List<Pending>> groups = new ArrayList<>();
        for (Pending p : readable) {
            int max = plans.apply(p).batching().maxBatchSize();
            List<Pending> home = null;
            for (List<Pending> g : groups) {
                Pending first = g.get(0);
                long rows = g.stream().mapToLong(x -> x.inputs().rows()).sum();
                if (first.lease.model() == p.lease.model() && first.inputs().batchesWith(p.inputs()) && rows + p.inputs().rows() <= max) {
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

    /** One run of part {@code part} of each pending (a unit's part, or part 0 of single calls merged into a batch). */
    private void execute(List<Pending> group, int part) {
        Pending first = group.get(0);
        LoadedModel session = first.lease.model();
        long rows = group.stream().mapToLong(p -> p.parts.get(part).inputs.rows()).sum();
        Span batchSpan = tracing.batch("kiln.batch", group.stream().map(p -> p.trace).toList(), first.model(), first.version(), rows);
        Span runSpan = tracing.start("kiln.session.run", Context.current().with(batchSpan), first.model(), first.version());
        // Where it ran: an inference worker, or the event loop that received a cheap request.
        runSpan.setAttribute(Tracing.THREAD, Thread.currentThread().getName());
        List<OutputTensor> outputs;
        long t0 = System.nanoTime();
        try {
            outputs = run(session, group, part);
        } catch (Throwable e) {
            Tracing.fail(runSpan, e);
            runSpan.end();
            batchSpan.end();
            if (group.size() > 1 && !(e instanceof Error) && !stoppedForMemory(e)) {
                // A run a request's values broke: run each alone, so only that one fails.
                group.forEach(p -> execute(List.of(p), part));
            } else {
                group.forEach(p -> p.fail(Failures.of(p.model(), e)));
            }
            return;
        }
        long inferNanos = System.nanoTime() - t0;
        runSpan.end();
        batchSpan.end();
        if (group.size() > 1 && outputs.stream().anyMatch(o -> o.rows() != rows)) {
            group.forEach(p -> execute(List.of(p), part));
            return;
        }
        answer(group, part, outputs, inferNanos);
    }

    /** Stopped at the memory ceiling: running its requests again one by one now would only meet it again. */
    private static boolean stoppedForMemory(Throwable e) {
        return e instanceof KilnError k && k.kind() == KilnError.Kind.INSUFFICIENT_MEMORY;
    }

    /** Each caller's rows, written in its own form; a unit's lease is released after its last part. */
    private void answer(List<Pending> group, int part, List<OutputTensor> outputs, long inferNanos) {
        long inputTotal = 0;
        long outputTotal = 0;
        long offset = 0;
        boolean whole = group.size() == 1;
        for (Pending p : group) {
            Pending.Part mine = p.parts.get(part);
            long n = mine.inputs.rows();
            long t1 = System.nanoTime();
            try {
                List<OutputTensor> rowsOfMine = new ArrayList<>(outputs.size());
                for (OutputTensor o : outputs) {
                    rowsOfMine.add(whole ? o : o.rows(offset, n));
                }
                mine.answer = mine.call.encode(chosen(mine.inputs, rowsOfMine));
                mine.answered = true;
                mine.releaseBytes();
                long outputNanos = System.nanoTime() - t1;
                if (whole && p.single()) {
                    plans.apply(p).cost().add(p.inputNanos + inferNanos + outputNanos, mine.call.wireBytes(), mine.inputs.elements());
                }
                outputTotal += outputNanos;
                synchronized (p) {
                    p.inferNanos += inferNanos;
                    p.outputNanos += outputNanos;
                    inputTotal += p.single() ? p.inputNanos : 0;
                }
            } catch (Throwable e) {
                p.fail(Failures.of(p.model(), e));
            }
            offset += n;
        }
        if (group.stream().anyMatch(p -> p.counted)) {
            usage.recordExecution(group.get(0).model(), group.get(0).version(), offset, inputTotal, inferNanos, outputTotal);
        }
    }

    /** The outputs asked for, in the order asked; all of them when none was named. */
    private static List<OutputTensor> chosen(ModelInputs inputs, List<OutputTensor> outputs) {
        if (inputs.outputs().isEmpty()) {
            return outputs;
        }
        return outputs.stream().filter(o -> inputs.outputs().contains(o.name())).toList();
    }

    private List<OutputTensor> run(LoadedModel session, List<Pending> group, int part) throws OrtException {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        ModelInputs first = group.get(0).parts.get(part).inputs;
        Plan plan = plans.apply(group.get(0));
        plan.arena().runStarted();
        boolean grew = false;
        try {
            for (int i = 0; i < first.tensors().size(); i++) {
                int at = i;
                TensorBuffer joined = TensorBuffer.concat(group.stream().map(p -> p.parts.get(part).inputs.tensors().get(at)).toList());
                feeds.put(joined.name(), joined.toOnnx(env.get()));
            }
            try (RunMemoryGuard.Watch watch = guard.watch(group.get(0).model(),
                    group.stream().mapToLong(p -> p.parts.get(part).inputs.elements()).sum(),
                    () -> group.stream().allMatch(p -> p.parts.get(part).call.abandoned()))) {
                try (OrtSession.Result result = session.run(feeds, first.outputs(), watch.options())) {
                    checkOutputs(group, part, result);
                    List<OutputTensor> out = new ArrayList<>();
                    for (Map.Entry<String, OnnxValue> e : result) {
                        out.add(OutputTensor.of(e.getKey(), e.getValue()));
                    }
                    return out;
                } catch (OrtException e) {
                    if (watch.stopped()) {
                        throw new KilnError(KilnError.Kind.INSUFFICIENT_MEMORY, watch.reason(), 1, e);
                    }
                    if (watch.abandoned()) {
                        throw KilnError.unavailable("the caller of '" + group.get(0).model() + "' went away while its request ran", null);
                    }
                    throw e;
                } finally {
                    grew = watch.stopped() || watch.abandoned() || giveBackAbove > 0 && watch.grownBy(giveBackAbove) > giveBackAbove;
                }
            }
        } finally {
            feeds.values().forEach(OnnxTensor::close);
            if (plan.arena().runEnded(grew)) {
                giveBack(session, plan, group.get(0).model());
            }
        }
    }

    /**
     * What a stopped run, or one that grew Kiln by more than give-back-above, left in its session's
     * arena is given back when the session's last run in flight ends (a small run with the shrink
     * option): given back while another run of it still held its blocks, most of it stayed, and two
     * 32 x 512-token runs five seconds apart left a 3 GiB pod at 1.6 GB instead of 0.56. Runs that stay
     * within what the warm-up already took grow nothing and pay nothing.
     */
    private void giveBack(LoadedModel session, Plan plan, String model) {
        Map<String, OnnxTensor> small = Map.of();
        try {
            small = WarmupInputs.build(env.get(), session.inputs(), plan.manifest());
            session.giveBackArena(small);
        } catch (OrtException | RuntimeException e) {
            LOG.warnf("could not give back the memory a run of %s took: %s", model, e.getMessage());
        } finally {
            small.values().forEach(OnnxTensor::close);
        }
    }

    /**
     * The answers' real sizes, before anything is copied out of ONNX Runtime: where the model's
     * declarations could not foretell them, this is where an answer too large is stopped.
     */
    private void checkOutputs(List<Pending> group, int part, OrtSession.Result result) {
        long runRows = group.stream().mapToLong(p -> p.parts.get(part).inputs.rows()).sum();
        for (Pending p : group) {
            Pending.Part mine = p.parts.get(part);
            long bytes = 0;
            for (Map.Entry<String, OnnxValue> e : result) {
                if (e.getValue().getInfo() instanceof TensorInfo info) {
                    Datatype type = Datatype.of(info.onnxType).orElse(Datatype.BYTES);
                    long elements = info.getNumElements();
                    long share = runRows > 0 && info.getShape().length > 0 ? elements / runRows * mine.inputs.rows() : elements;
                    bytes += mine.call.answerBytes(e.getKey(), type, share);
                }
            }
            checkAnswer(p.model(), bytes, "from the outputs ONNX Runtime made");
        }
    }

    private static String spec(Pending p, String output) {
        return p.lease.model().outputs().stream().filter(o -> o.name().equals(output)).findFirst()
                .map(o -> o.datatype()).orElse("BYTES");
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, Math.max(0, d));
        }
        return n;
    }
}
