package dev.kiln.inference;

import dev.kiln.registry.Lease;

import java.util.concurrent.CompletableFuture;

/** A request that holds a lease on its model and waits in the model's queue for a run. */
final class Pending {

    final Lease lease;
    final byte[] body;
    final int headerLength;
    final long arrived;
    final long enqueued = System.nanoTime();
    final CompletableFuture<V2Answer> answer = new CompletableFuture<>();
    /** Set once read: the request, and what reading it took. */
    V2Request request;
    long inputNanos;

    Pending(Lease lease, byte[] body, int headerLength, long arrived) {
        this.lease = lease;
        this.body = body;
        this.headerLength = headerLength;
        this.arrived = arrived;
    }

    String model() {
        return lease.modelName();
    }
}
