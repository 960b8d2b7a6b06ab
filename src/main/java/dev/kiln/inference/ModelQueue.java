package dev.kiln.inference;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One model's waiting requests. A model has at most {@code maxRunning} tasks on the shared worker
 * pool at once, and a task that finds more waiting puts itself at the back of the pool's queue
 * rather than looping: a slow or busy model cannot starve the others. With batching, a task waits
 * up to the model's queue delay for a fuller batch, but only while another batch of the model runs.
 */
final class ModelQueue {

    private final Deque<Pending> waiting = new ArrayDeque<>();
    private final int capacity;
    private final int maxRunning;
    private final Executor workers;
    private final Function<Pending, BatchPolicy> policy;
    private final Consumer<List<Pending>> runner;
    private int running;

    ModelQueue(int capacity, int maxRunning, Executor workers, Function<Pending, BatchPolicy> policy,
               Consumer<List<Pending>> runner) {
        this.capacity = capacity;
        this.maxRunning = maxRunning;
        this.workers = workers;
        this.policy = policy;
        this.runner = runner;
    }

    /** False when the queue is full: the caller answers 503 and releases the lease. */
    synchronized boolean offer(Pending p) {
        if (waiting.size() >= capacity) {
            return false;
        }
        waiting.add(p);
        notifyAll();
        if (running < maxRunning) {
            running++;
            schedule();
        }
        return true;
    }

    synchronized int waiting() {
        return waiting.size();
    }

    private void schedule() {
        try {
            workers.execute(this::drain);
        } catch (RejectedExecutionException e) {
            running--;
            throw e;
        }
    }

    private void drain() {
        List<Pending> batch = List.of();
        try {
            batch = take();
            if (!batch.isEmpty()) {
                runner.accept(batch);
            }
        } catch (Throwable t) {
            // The runner answers every failure it meets; this is the last net, so nothing taken waits forever.
            batch.forEach(p -> p.fail(Failures.of(p.model(), t)));
        } finally {
            synchronized (this) {
                if (waiting.isEmpty()) {
                    running--;
                } else {
                    try {
                        schedule();
                    } catch (RejectedExecutionException shuttingDown) {
                        // The pool is closing: what waits is answered by the service's shutdown.
                    }
                }
            }
        }
    }

    /** The next run's requests: one, or with batching as many as arrive within the delay (up to the maximum). */
    private synchronized List<Pending> take() {
        if (waiting.isEmpty()) {
            return List.of();
        }
        BatchPolicy batching;
        try {
            batching = policy.apply(waiting.peekFirst());
        } catch (RuntimeException e) {
            batching = BatchPolicy.off("its plan could not be read: " + e.getMessage());
        }
        // Waiting for company only pays when another batch of this model is running now: a lone
        // request (one client, a quiet model) runs at once instead of sitting out the delay.
        if (batching.enabled() && running > 1) {
            long deadline = waiting.peekFirst().enqueued + batching.maxDelayNanos();
            long left;
            while (!batching.full(waiting.size()) && (left = deadline - System.nanoTime()) > 0) {
                try {
                    wait(left / 1_000_000, (int) (left % 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        List<Pending> batch = new ArrayList<>();
        while (!waiting.isEmpty() && batch.size() < batching.maxBatchSize()) {
            batch.add(waiting.pollFirst());
        }
        return batch;
    }

    /** Everything still waiting, taken out (shutdown answers them). */
    synchronized List<Pending> clear() {
        List<Pending> all = new ArrayList<>(waiting);
        waiting.clear();
        return all;
    }
}
