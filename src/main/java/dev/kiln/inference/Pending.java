package dev.kiln.inference;

import dev.kiln.registry.Lease;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;

import java.util.concurrent.CompletableFuture;

/** A request that holds a lease on its model and waits in the model's queue for a run. */
final class Pending {

    final Lease lease;
    final byte[] body;
    final int headerLength;
    final long arrived;
    final long enqueued = System.nanoTime();
    final CompletableFuture<V2Answer> answer = new CompletableFuture<>();
    /** The caller's trace, and the span of its wait in the queue (ended when a worker takes it). */
    final Context trace;
    final Span queued;
    /** Set once read: the request, and what reading it took. */
    V2Request request;
    long inputNanos;

    Pending(Lease lease, byte[] body, int headerLength, long arrived, Context trace, Span queued) {
        this.lease = lease;
        this.trace = trace;
        this.queued = queued;
        this.body = body;
        this.headerLength = headerLength;
        this.arrived = arrived;
    }

    String model() {
        return lease.modelName();
    }
}
