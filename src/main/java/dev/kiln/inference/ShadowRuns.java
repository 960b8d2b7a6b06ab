package dev.kiln.inference;

import dev.kiln.routing.Route;
import dev.kiln.runtime.Datatype;
import dev.kiln.runtime.OutputTensor;
import dev.kiln.telemetry.UsageTracker;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * Shadow traffic: a routed call whose route names a shadow version also runs there, as a copy,
 * and the copy's answer is compared with the primary's (latency, failures, distance of numeric
 * outputs) and thrown away. The caller gets the primary's answer the moment it is ready, whatever
 * the copy does. A copy is extra work, so it is bounded: at most half the inference workers run
 * copies at once, and a copy is dropped (and counted) when either version has requests waiting or
 * inference holds more than half of its byte budget, so shadows never fill a queue or take the
 * room primaries need.
 */
@ApplicationScoped
public class ShadowRuns {

    private final InferenceService inference;
    private final UsageTracker usage;
    private final InflightBytes inflight;
    private final Semaphore running;

    public ShadowRuns(InferenceService inference, UsageTracker usage, InflightBytes inflight) {
        this.inference = inference;
        this.usage = usage;
        this.inflight = inflight;
        this.running = new Semaphore(Math.max(1, inference.workers() / 2));
    }

    /**
     * Runs {@code call} on the route's version; when the route has a shadow and there is room, a
     * second call made by {@code copy} (from the same request) runs on the shadow version.
     */
    public <T> CompletionStage<T> infer(Route route, InferenceCall<T> call, Supplier<InferenceCall<?>> copy) {
        Integer shadow = route.shadow();
        if (shadow == null) {
            return inference.infer(route.model(), route.version(), call);
        }
        if (busy(route) || !running.tryAcquire()) {
            usage.shadowDropped(route.model(), shadow);
            return inference.infer(route.model(), route.version(), call);
        }
        OutputCapture primary = new OutputCapture();
        CompletionStage<T> answer;
        try {
            answer = inference.infer(route.model(), route.version(), new Capturing<>(call, primary));
        } catch (RuntimeException e) {
            running.release();
            throw e;
        }
        mirror(route.model(), shadow, copy, answer, primary);
        return answer;
    }

    private boolean busy(Route route) {
        return inference.waiting(route.model(), route.version()) > 0 || inference.waiting(route.model(), route.shadow()) > 0
                || inflight.held() > inflight.limit() / 2;
    }

    /** The copy's run, compared with the primary's answer once both have ended; the permit goes back when the copy ends. */
    private void mirror(String model, int shadow, Supplier<InferenceCall<?>> copy, CompletionStage<?> answer, OutputCapture primary) {
        OutputCapture mine = new OutputCapture();
        long start = System.nanoTime();
        CompletionStage<?> run;
        try {
            run = inference.infer(model, shadow, new Discarding(copy.get(), mine));
        } catch (RuntimeException e) {
            run = CompletableFuture.failedFuture(e);
        }
        run.whenComplete((ignored, failure) -> {
            running.release();
            long nanos = System.nanoTime() - start;
            if (failure != null) {
                usage.shadowFailed(model, shadow, nanos);
                return;
            }
            answer.whenComplete((a, primaryFailure) -> {
                OutputCapture.Distance d = primaryFailure != null ? OutputCapture.Distance.NONE
                        : OutputCapture.between(primary.outputs(), mine.outputs());
                if (d.comparable()) {
                    usage.shadowCompared(model, shadow, nanos, d.maxAbsDiff(), d.cosine());
                } else {
                    usage.shadowMismatched(model, shadow, nanos);
                }
            });
        });
    }

    /** The primary call as it is, its numeric outputs copied (bounded) before its answer is written. */
    private record Capturing<T>(InferenceCall<T> call, OutputCapture capture) implements InferenceCall<T> {

        @Override
        public ModelInputs decode(ModelSignature model) {
            return call.decode(model);
        }

        @Override
        public long answerBytes(String output, Datatype type, long elements) {
            return call.answerBytes(output, type, elements);
        }

        @Override
        public boolean abandoned() {
            return call.abandoned();
        }

        @Override
        public long wireBytes() {
            return call.wireBytes();
        }

        @Override
        public T encode(List<OutputTensor> outputs) {
            capture.take(outputs);
            return call.encode(outputs);
        }
    }

    /** The copy: read as the caller's call would be, its answer kept only as numbers to compare, never written. */
    private record Discarding(InferenceCall<?> call, OutputCapture capture) implements InferenceCall<Void> {

        @Override
        public ModelInputs decode(ModelSignature model) {
            return call.decode(model);
        }

        @Override
        public long answerBytes(String output, Datatype type, long elements) {
            return call.answerBytes(output, type, elements);
        }

        @Override
        public Void encode(List<OutputTensor> outputs) {
            capture.take(outputs);
            return null;
        }
    }
}
