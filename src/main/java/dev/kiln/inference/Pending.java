package dev.kiln.inference;

import dev.kiln.registry.Lease;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A unit of work that holds a lease on its model and waits in the model's queue: one call, or
 * several that run back to back on one worker (the texts of one embeddings request), so a request
 * the server accepted is never refused for its own size.
 */
final class Pending {

    /** One call of the unit, its inputs once read, and its answer once written. */
    static final class Part {
        final InferenceCall<?> call;
        ModelInputs inputs;
        Object answer;

        Part(InferenceCall<?> call) {
            this.call = call;
        }
    }

    final Lease lease;
    final List<Part> parts;
    final long arrived;
    final long enqueued = System.nanoTime();
    final CompletableFuture<List<Object>> answer = new CompletableFuture<>();
    /** The caller's trace, and the span of its wait in the queue (ended when a worker takes it). */
    final Context trace;
    final Span queued;
    /** What reading, running and answering took, and the bytes reserved for the answers once their size was foreseen. */
    long inputNanos;
    long inferNanos;
    long outputNanos;
    InflightBytes.Reservation answerBytes;

    Pending(Lease lease, List<? extends InferenceCall<?>> calls, long arrived, Context trace, Span queued) {
        this.lease = lease;
        this.parts = new ArrayList<>(calls.size());
        calls.forEach(c -> parts.add(new Part(c)));
        this.arrived = arrived;
        this.trace = trace;
        this.queued = queued;
    }

    String model() {
        return lease.modelName();
    }

    /** A unit of one call, which may share a run with others. */
    boolean single() {
        return parts.size() == 1;
    }

    ModelInputs inputs() {
        return parts.get(0).inputs;
    }

    /** Releases the lease and the answer's bytes; safe to call more than once. */
    void release() {
        lease.close();
        if (answerBytes != null) {
            answerBytes.close();
        }
    }

    void succeed() {
        release();
        answer.complete(parts.stream().map(p -> p.answer).toList());
    }

    /** Ends the unit with a failure, whatever stage it was in; the first ending wins. */
    void fail(Throwable failure) {
        release();
        answer.completeExceptionally(failure);
    }
}
