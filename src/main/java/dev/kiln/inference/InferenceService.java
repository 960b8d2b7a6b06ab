package dev.kiln.inference;

import dev.kiln.catalog.ModelEntry;
import dev.kiln.catalog.ModelManifest;
import dev.kiln.catalog.ModelRef;
import dev.kiln.config.AiModelsConfig;
import dev.kiln.errors.KilnError;
import dev.kiln.registry.ContainerMemory;
import dev.kiln.registry.Lease;
import dev.kiln.registry.ModelLifecycleEvent;
import dev.kiln.registry.ModelNotFoundException;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelStatus;
import dev.kiln.registry.ModelUnavailableException;
import dev.kiln.registry.ResidentMemory;
import dev.kiln.runtime.LoadedModel;
import dev.kiln.runtime.OnnxEngine;
import dev.kiln.runtime.OnnxFileSignature;
import dev.kiln.runtime.RunMemoryGuard;
import dev.kiln.routing.VersionRouter;
import dev.kiln.telemetry.Tracing;
import dev.kiln.telemetry.UsageTracker;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The inference core: typed calls in, typed answers out, whatever the transport. A call goes to one
 * version of its model (the one it names, or where the model's routing sends it), waits for a lease
 * on that version without holding a thread (a cold load is a future), then waits in the version's
 * queue for the shared worker pool, where it is read, batched with others when the model batches,
 * run, and answered. Bounded in calls per model and in bytes held overall (InflightBytes): past
 * either, 503 with {@code Retry-After}.
 */
@ApplicationScoped
public class InferenceService {

    public static final String PLATFORM = "onnx_onnxv1";
    private static final Logger LOG = Logger.getLogger(InferenceService.class);

    private final ModelRegistry registry;
    private final UsageTracker usage;
    private final Tracing tracing;
    private final ThreadPoolExecutor workers;
    private final int workerCount;
    private final int queueSize;
    private final Duration drainTimeout;
    private final boolean batching;
    private final long runHereBelow;
    private final Map<ModelRef, ModelQueue> queues = new ConcurrentHashMap<>();
    private final Map<LoadedModel, BatchRunner.Plan> plans = Collections.synchronizedMap(new WeakHashMap<>());
    private final BatchRunner runner;
    private final OnnxEngine engine;
    private final VersionRouter router;
    /** Pipelines, looked up lazily: they run their model steps through this service, so they come after it. */
    private final Instance<CompositeInference> composites;

    public InferenceService(ModelRegistry registry, OnnxEngine engine, UsageTracker usage, AiModelsConfig config,
                            Tracing tracing, InflightBytes inflight, VersionRouter router, Instance<CompositeInference> composites) {
        this.composites = composites;
        this.registry = registry;
        this.router = router;
        this.tracing = tracing;
        this.engine = engine;
        this.usage = usage;
        this.queueSize = Math.max(1, config.inference().queueSize());
        this.drainTimeout = config.registry().drainTimeout();
        this.batching = config.inference().batching();
        this.runHereBelow = config.inference().runOnEventLoopBelow().toNanos();
        this.workerCount = engine.threads().workers();
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(workerCount, workerCount, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "kiln-infer-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.runner = new BatchRunner(engine::environment, usage, tracing, inflight, this::plan, runGuard(config),
                config.memory().giveBackAboveBytes());
    }

    private static RunMemoryGuard runGuard(AiModelsConfig config) {
        int asked = config.memory().runCeilingPercent();
        // At 100 the kernel's limit (which also counts the page cache) comes first: the guard would never act.
        int percent = Math.max(0, Math.min(95, asked));
        if (percent != asked) {
            LOG.warnf("ai.models.memory.run-ceiling-percent %d is outside 0 (never) to 95: %d is used", asked, percent);
        }
        ContainerMemory limit = ContainerMemory.detect();
        long ceiling = limit.bytes() / 100 * percent;
        String source = percent + "% of " + (limit.bytes() >> 20) + " MiB, " + limit.source();
        LOG.infof("inference runs are stopped when Kiln's resident memory reaches %s", percent == 0 ? "(never: run-ceiling-percent 0)" : source);
        long now = ResidentMemory.bytes();
        if (percent > 0 && now >= ceiling) {
            LOG.warnf("the run ceiling (%d MiB, %s) is below what Kiln takes already (%d MiB): every inference run will be stopped",
                    ceiling >> 20, source, now >> 20);
        }
        return new RunMemoryGuard(ceiling, source, ResidentMemory::bytes);
    }

    /**
     * Before the registry closes sessions: requests already queued or running finish first (within
     * the drain timeout). REST's are done by now (Quarkus drains HTTP first); gRPC's separate server
     * does not drain, so calls it handed over may still be waiting in the model queues.
     */
    void onStop(@Observes @Priority(50) ShutdownEvent ev) {
        long deadline = System.nanoTime() + drainTimeout.toNanos();
        try {
            while (System.nanoTime() < deadline && busy()) {
                Thread.sleep(10);
            }
            workers.shutdown();
            if (!workers.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                LOG.warnf("%d inference request(s) still running at shutdown", workers.getActiveCount());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (ModelQueue q : queues.values()) {
            for (Pending p : q.clear()) {
                p.fail(new ModelUnavailableException("Kiln is shutting down", 5));
            }
        }
    }

    /** A request is running, or waiting in some model's queue. */
    private boolean busy() {
        return workers.getActiveCount() > 0 || queues.values().stream().anyMatch(q -> q.waiting() > 0 || q.running() > 0);
    }

    void onLifecycle(@Observes ModelLifecycleEvent event) {
        if (event.kind() == ModelLifecycleEvent.Kind.REMOVED) {
            queues.computeIfPresent(new ModelRef(event.model(), event.version()), (m, q) -> q.waiting() == 0 ? null : q);
        }
    }

    /**
     * An unversioned call: it goes where the model's routing sends it (its default route). A
     * pipeline's name is handed to the pipelines, which call back here for each model they run.
     */
    public <T> CompletionStage<T> infer(String model, InferenceCall<T> call) {
        CompositeInference pipelines = composite();
        if (pipelines != null && pipelines.runs(model)) {
            return pipelines.infer(model, call);
        }
        return infer(model, router.route(model).version(), call);
    }

    /** Checks the version exists (cheap, on the caller's thread), then answers when the call has run. */
    public <T> CompletionStage<T> infer(String model, int version, InferenceCall<T> call) {
        CompositeInference pipelines = composite();
        if (version == 1 && pipelines != null && pipelines.runs(model)) {
            return pipelines.infer(model, call);
        }
        return submit(model, version, List.of(call), true).thenApply(answers -> {
            @SuppressWarnings("unchecked")
            T only = (T) answers.get(0);
            return only;
        });
    }

    private volatile CompositeInference composite;

    private CompositeInference composite() {
        CompositeInference c = composite;
        if (c == null && composites.isResolvable()) {
            c = composite = composites.get();
        }
        return c;
    }

    /**
     * Several calls as one unit of work: one place in the model's queue, run back to back on one
     * worker under one lease (the texts of one embeddings request, a pipeline's rows). The answers
     * come in the calls' order; the first failure fails the unit.
     */
    public <T> CompletionStage<List<T>> inferTogether(String model, List<? extends InferenceCall<T>> calls) {
        return inferTogether(model, router.route(model).version(), calls);
    }

    /**
     * A pipeline's calls: to the model's stable version, never split or shadowed, so every step of
     * one pipeline runs the version its check was made against.
     */
    public <T> CompletionStage<T> inferStable(String model, InferenceCall<T> call) {
        return infer(model, stableVersion(model), call);
    }

    public <T> CompletionStage<List<T>> inferTogetherStable(String model, List<? extends InferenceCall<T>> calls) {
        return inferTogether(model, stableVersion(model), calls);
    }

    private int stableVersion(String model) {
        return registry.findStable(model).orElseThrow(() -> new ModelNotFoundException(model)).version();
    }

    public <T> CompletionStage<List<T>> inferTogether(String model, int version, List<? extends InferenceCall<T>> calls) {
        if (calls.isEmpty()) {
            throw KilnError.invalid("nothing to run on '" + model + "'");
        }
        return submit(model, version, calls, true).thenApply(answers -> {
            @SuppressWarnings("unchecked")
            List<T> typed = (List<T>) answers;
            return typed;
        });
    }

    /**
     * A call through the whole serving path (queue, reading, run, writing) that is not use: warm-up
     * rehearses the wire forms with it so the first real requests find that code compiled. No
     * telemetry records it.
     */
    public <T> CompletionStage<T> rehearse(String model, int version, InferenceCall<T> call) {
        return submit(model, version, List.of(call), false).thenApply(answers -> {
            @SuppressWarnings("unchecked")
            T only = (T) answers.get(0);
            return only;
        });
    }

    private CompletionStage<List<Object>> submit(String model, int version, List<? extends InferenceCall<?>> calls, boolean counted) {
        boolean cold = !registry.status(model, version).loaded();
        ModelRef ref = new ModelRef(model, version);
        long arrived = System.nanoTime();
        Context trace = Context.current();
        CompletableFuture<List<Object>> answer = new CompletableFuture<>();
        // Started before the lease: a quick load on the loader thread could end before this thread looked.
        Span load = cold && counted ? tracing.start("kiln.load.wait", trace, model, version) : null;
        // What is not use never loads a model: a rehearsal of an unloaded model just ends.
        CompletableFuture<Lease> leased = counted ? registry.lease(model, version) : registry.leaseIfLoaded(model, version);
        if (load == null && !leased.isDone()) {
            load = tracing.start("kiln.load.wait", trace, model, version);
        }
        Span loadWait = load;
        leased.whenComplete((lease, failure) -> {
            // Made once: the span and the caller are told the same failure (and a 507 is logged once).
            Throwable failed = failure == null ? null : Failures.of(model, failure);
            if (loadWait != null) {
                if (failed != null) {
                    Tracing.fail(loadWait, failed);
                }
                loadWait.end();
            }
            if (failed != null) {
                finish(ref, counted, arrived, answer, null, failed);
                return;
            }
            enqueue(ref, lease, calls, counted, arrived, trace, answer);
        });
        return answer;
    }

    private void enqueue(ModelRef ref, Lease lease, List<? extends InferenceCall<?>> calls, boolean counted, long arrived,
                         Context trace, CompletableFuture<List<Object>> answer) {
        String model = ref.name();
        Pending p = null;
        try {
            p = new Pending(lease, calls, counted, arrived, trace, tracing.start("kiln.queue", trace, model, ref.version()));
            if (queue(ref).offer(p, counted && runsHere(p))) {
                p.answer.whenComplete((a, f) -> finish(ref, counted, arrived, answer, a, f));
                return;
            }
            p.queued.end();
            p.lease.close();
            if (counted) {
                usage.recordRejected(model, ref.version());
            }
            answer.completeExceptionally(new ModelUnavailableException("the queue of '" + model + "' is full (" + queueSize
                    + " waiting, ai.models.inference.queue-size); retry shortly", 1));
        } catch (Throwable t) {
            // The pool refused the task (shutting down), or anything else: the call still gets its answer.
            if (p != null) {
                p.fail(t);
            } else {
                lease.close();
            }
            finish(ref, counted, arrived, answer, null, Failures.of(model, t));
        }
    }

    /**
     * True when the request may be read on this thread, an event loop, and run there rather than be
     * handed to a worker and its answer handed back: a lone call (alone on its loop too) of a model
     * that does not batch, whose recent requests say one this large on the wire takes less than
     * ai.models.inference.run-on-event-loop-below. The queue still decides (only when nothing of the
     * model waits and a run is free: ModelQueue.offer), and once read, its tensor values decide
     * whether the run stays here (BatchRunner.readHere).
     */
    private boolean runsHere(Pending p) {
        if (runHereBelow <= 0 || !p.single() || !io.vertx.core.Context.isOnEventLoopThread()
                || !p.parts.get(0).call.aloneOnItsLoop()) {
            return false;
        }
        BatchRunner.Plan plan = plans.get(p.lease.model());
        if (plan == null || plan.batching().enabled()) {
            return false;
        }
        long foreseen = plan.cost().foresee(p.parts.get(0).call.wireBytes());
        return foreseen >= 0 && foreseen < runHereBelow;
    }

    /** Requests waiting in the queues of a model's versions now (for the models view and the scaling signal). */
    public int waiting(String model) {
        int n = 0;
        for (Map.Entry<ModelRef, ModelQueue> q : queues.entrySet()) {
            if (q.getKey().name().equals(model)) {
                n += q.getValue().waiting();
            }
        }
        return n;
    }

    /** Requests waiting in one version's queue now. */
    public int waiting(String model, int version) {
        ModelQueue q = queues.get(new ModelRef(model, version));
        return q == null ? 0 : q.waiting();
    }

    public int workers() {
        return workerCount;
    }

    private ModelQueue queue(ModelRef ref) {
        return queues.computeIfAbsent(ref, m -> new ModelQueue(queueSize, workerCount, workers, p -> plan(p).batching(),
                runner::run, work -> runner.readHere(work, runHereBelow)));
    }

    /** What the request's session takes and how it batches, read once per session from its model.yaml. */
    private BatchRunner.Plan plan(Pending p) {
        LoadedModel session = p.lease.model();
        BatchRunner.Plan known = plans.get(session);
        if (known != null) {
            return known;
        }
        Optional<ModelEntry> entry = registry.find(p.model(), p.version()).map(ModelStatus::entry);
        ModelManifest manifest = entry.map(ModelEntry::manifest).orElse(ModelManifest.defaults(p.model()));
        BatchRunner.Plan plan = new BatchRunner.Plan(new ModelSignature(session.inputs(), session.outputs(),
                manifest.inputLimits() == null ? Map.of() : manifest.inputLimits()),
                BatchPolicy.of(manifest, session.inputs(), session.outputs(), operators(entry), batching), manifest);
        plans.put(session, plan);
        return plan;
    }

    /** How the model batches, said in words for the models status; from its files, no session needed. */
    public String batching(ModelStatus model) {
        ModelManifest m = model.entry().manifest();
        if (m.batching() == null) {
            return "off: model.yaml asks for no batching";
        }
        try {
            OnnxFileSignature.Signature s = engine.signature(model.entry());
            return BatchPolicy.of(m, s.inputs(), s.outputs(), s.operators(), batching).why();
        } catch (java.io.IOException e) {
            return "off: model.onnx cannot be read";
        }
    }

    /**
     * How many rows one run of the model may carry when a caller sends them together (embeddings of
     * many texts): 1 when a row's answer would depend on the others (whole-batch quantisation) or
     * the first dimension is fixed; else the manifest's max_batch_size (32 without one), within its
     * input_limits. Independent of ai.models.inference.batching, which is about merging callers.
     */
    public int rowsPerRun(ModelStatus model) {
        OnnxFileSignature.Signature s;
        try {
            s = engine.signature(model.entry());
        } catch (java.io.IOException e) {
            return 1;
        }
        boolean dynamic = s.inputs().stream().allMatch(t -> t.shape().length > 0 && t.shape()[0] < 0);
        if (!dynamic || s.operators().stream().anyMatch(BatchPolicy.ACROSS_ROWS::contains)) {
            return 1;
        }
        ModelManifest m = model.entry().manifest();
        int rows = m.batching() != null && m.batching().maxBatchSize() != null ? m.batching().maxBatchSize() : 32;
        if (m.inputLimits() != null) {
            for (List<Long> limit : m.inputLimits().values()) {
                if (!limit.isEmpty() && limit.get(0) != null && limit.get(0) > 0) {
                    rows = (int) Math.min(rows, limit.get(0));
                }
            }
        }
        return Math.max(1, rows);
    }

    private Set<String> operators(Optional<ModelEntry> entry) {
        try {
            return entry.isPresent() ? engine.signature(entry.get()).operators() : Set.of();
        } catch (java.io.IOException e) {
            return Set.of();
        }
    }

    private void finish(ModelRef ref, boolean counted, long arrived, CompletableFuture<List<Object>> answer,
                        List<Object> response, Throwable failure) {
        try {
            if (!counted) {
                return;
            }
            String outcome = failure == null ? "success"
                    : failure instanceof KilnError e ? (e.callersFault() || e.kind() == KilnError.Kind.CONFLICT ? "invalid" : "unavailable")
                    : "error";
            usage.recordInference(ref.name(), ref.version(), outcome, System.nanoTime() - arrived);
        } finally {
            if (failure == null) {
                answer.complete(response);
            } else {
                answer.completeExceptionally(failure);
            }
        }
    }
}
