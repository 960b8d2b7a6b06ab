package dev.kiln.inference;

import dev.kiln.registry.Lease;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A unit of work that holds a lease on its model and waits in the model's queue: one call, or
 * several (the texts of one embeddings request) that every free worker of the model takes a part
 * of, so a request the server accepted is never refused for its own size and a lone large one still
 * uses the machine. Its lease is released once it has ended and none of its parts is running:
 * a session is never closed under a run.
 */
final class Pending {

    /** One call of the unit, its inputs once read, its answer once written, and its answer's bytes in the budget. */
    static final class Part {
        final InferenceCall<?> call;
        ModelInputs inputs;
        Object answer;
        boolean answered;
        InflightBytes.Reservation answerBytes;

        Part(InferenceCall<?> call) {
            this.call = call;
        }

        void releaseBytes() {
            if (answerBytes != null) {
                answerBytes.close();
            }
        }
    }

    final Lease lease;
    final List<Part> parts;
    /** False for warm-up's rehearsals, which are not use: no telemetry records them. */
    final boolean counted;
    final long arrived;
    final long enqueued = System.nanoTime();
    final CompletableFuture<List<Object>> answer = new CompletableFuture<>();
    /** The caller's trace, and the span of its wait in the queue (ended when a worker first takes it). */
    final Context trace;
    final Span queued;
    /** What reading, running and answering took, summed over the parts. */
    long inputNanos;
    long inferNanos;
    long outputNanos;
    /** Parts handed to workers, running now and answered; whether the unit has ended, how, and whether its caller knows. */
    private int claimed;
    private int running;
    private int finished;
    private boolean ended;
    private boolean completed;
    private Throwable failure;

    Pending(Lease lease, List<? extends InferenceCall<?>> calls, boolean counted, long arrived, Context trace, Span queued) {
        this.lease = lease;
        this.counted = counted;
        this.parts = new ArrayList<>(calls.size());
        calls.forEach(c -> parts.add(new Part(c)));
        this.arrived = arrived;
        this.trace = trace;
        this.queued = queued;
    }

    String model() {
        return lease.modelName();
    }

    int version() {
        return lease.version();
    }

    /** A unit of one call, which may share a run with others. */
    boolean single() {
        return parts.size() == 1;
    }

    ModelInputs inputs() {
        return parts.get(0).inputs;
    }

    /** The next part for a worker (under the queue's lock); the first claim is the end of the wait. */
    synchronized int claim() {
        running++;
        return claimed++;
    }

    /** Every part handed out, or nothing left worth handing out. */
    synchronized boolean drained() {
        return claimed >= parts.size() || ended;
    }

    synchronized boolean ended() {
        return ended;
    }

    /**
     * A worker is done with a claimed part, answered or not. True when this ended the unit with
     * success. The caller learns how its request ended only once no part of it runs any more, and
     * after the lease is released: a session is never closed under a run, and nobody sees a request
     * answered while it still holds its model.
     */
    boolean partEnded(boolean answered) {
        Runnable then;
        boolean succeeded = false;
        synchronized (this) {
            running--;
            if (answered) {
                finished++;
            }
            if (!ended && finished == parts.size()) {
                ended = true;
                succeeded = true;
            }
            then = completion();
        }
        if (then != null) {
            then.run();
        }
        return succeeded;
    }

    /** Ends the unit with a failure, whatever stage it was in; the first ending wins. */
    void fail(Throwable cause) {
        Runnable then;
        synchronized (this) {
            if (ended) {
                return;
            }
            ended = true;
            failure = cause;
            then = completion();
        }
        if (then != null) {
            then.run();
        }
    }

    private Runnable completion() {
        if (!ended || running > 0 || completed) {
            return null;
        }
        completed = true;
        Throwable f = failure;
        return () -> {
            lease.close();
            parts.forEach(Part::releaseBytes);
            if (f == null) {
                answer.complete(parts.stream().map(p -> p.answer).toList());
            } else {
                answer.completeExceptionally(f);
            }
        };
    }
}
