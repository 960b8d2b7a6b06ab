package dev.kiln.pipelines;

import dev.kiln.config.AiModelsConfig;
import dev.kiln.errors.KilnError;
import dev.kiln.inference.CompositeInference;
import dev.kiln.inference.InferenceCall;
import dev.kiln.inference.InferenceService;
import dev.kiln.inference.InflightBytes;
import dev.kiln.registry.ModelUnavailableException;
import dev.kiln.telemetry.StepMeters;
import dev.kiln.telemetry.UsageTracker;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * Runs requests to pipelines, whatever the transport (V2 REST JSON or binary, gRPC, /v1/ocr). A
 * pipeline admits up to ai.models.inference.queue-size requests at once (more: 503 with Retry-After,
 * as a model's full queue does); each then runs as a {@link PipelineRun} on the step pool.
 */
@ApplicationScoped
public class PipelineRunner implements CompositeInference {

    final Pipelines pipelines;
    final PipelineLeases leases;
    final InferenceService inference;
    final StepPool pool;
    final UsageTracker usage;
    final StepMeters steps;
    final InflightBytes inflight;
    private final int admitted;
    private final Map<String, Semaphore> admission = new ConcurrentHashMap<>();

    public PipelineRunner(Pipelines pipelines, PipelineLeases leases, InferenceService inference, StepPool pool, UsageTracker usage,
                          StepMeters steps, InflightBytes inflight, AiModelsConfig config) {
        this.pipelines = pipelines;
        this.leases = leases;
        this.inference = inference;
        this.pool = pool;
        this.usage = usage;
        this.steps = steps;
        this.inflight = inflight;
        this.admitted = Math.max(1, config.inference().queueSize());
    }

    @Override
    public boolean runs(String name) {
        return pipelines.has(name);
    }

    /** Why a caller cannot have this name run as a pipeline (it is a model's, or nothing's). */
    KilnError notAPipeline(String name) {
        return pipelines.notAPipeline(name);
    }

    @Override
    public <T> CompletionStage<T> infer(String name, InferenceCall<T> call) {
        Semaphore gate = admission.computeIfAbsent(name, n -> new Semaphore(admitted));
        if (!gate.tryAcquire()) {
            usage.recordRejected(name);
            return CompletableFuture.failedFuture(new ModelUnavailableException("pipeline '" + name + "' has " + admitted
                    + " requests in progress (ai.models.inference.queue-size); retry shortly", 1));
        }
        try {
            PipelinePlan plan = pipelines.runnable(name);
            return new PipelineRun<>(this, name, plan, call).start().whenComplete((answer, failure) -> gate.release());
        } catch (KilnError e) {
            gate.release();
            usage.recordInference(name, e.callersFault() || e.kind() == KilnError.Kind.CONFLICT ? "invalid" : "unavailable", 0);
            return CompletableFuture.failedFuture(e);
        } catch (RuntimeException e) {
            gate.release();
            return CompletableFuture.failedFuture(e);
        }
    }
}
