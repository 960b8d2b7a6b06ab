package dev.kiln.inference;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One model's waiting requests. A model has at most {@code maxRunning} tasks on the shared worker
 * pool at once, and a task that finds more waiting puts itself at the back of the pool's queue
 * rather than looping: a slow or busy model cannot starve the others. With batching, a task waits
 * up to the model's queue delay for a fuller batch, but only while another batch of the model runs.
 * A unit of several parts stays at the head until every part is handed out, so each free worker
 * of the model takes a part of it.
 */
final class ModelQueue {

    /** What one task runs: single calls that may share a run, or one part of a unit. */
    record Work(List<Pending> batch, int part) {
        static final Work NONE = new Work(List.of(), 0);

        boolean unit() {
            return batch.size() == 1 && !batch.get(0).single();
        }
    }

    private final Deque<Pending> waiting = new ArrayDeque<>();
    private final int capacity;
    private final int maxRunning;
    private final Executor workers;
    private final Function<Pending, BatchPolicy> policy;
    private final Consumer<Work> runner;
    /** Reads a lone request taken on the caller's thread; true when its run may follow there. */
    private final Predicate<Work> readHere;
    private int running;

    ModelQueue(int capacity, int maxRunning, Executor workers, Function<Pending, BatchPolicy> policy,
               Consumer<Work> runner, Predicate<Work> readHere) {
        this.readHere = readHere;
        this.capacity = capacity;
        this.maxRunning = maxRunning;
        this.workers = workers;
        this.policy = policy;
        this.runner = runner;
    }

    /**
     * False when the queue is full: the caller answers 503 and releases the lease. With {@code here},
     * a request that finds the model idle is taken at once and read on the calling thread, before
     * this returns, and runs there too when its tensors confirm it is cheap (else a worker runs it,
     * the model's run held for it meanwhile).
     */
    boolean offer(Pending p, boolean here) {
        Work mine;
        synchronized (this) {
            if (waiting.size() >= capacity) {
                return false;
            }
            if (!here || running >= maxRunning || !waiting.isEmpty()) {
                waiting.add(p);
                notifyAll();
                if (running < maxRunning) {
                    running++;
                    schedule();
                }
                return true;
            }
            // Taken under the lock: what runs here is the request that was checked, never one a worker left.
            running++;
            p.claim();
            mine = new Work(List.of(p), 0);
        }
        runHere(mine);
        return true;
    }

    synchronized int running() {
        return running;
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

    private void runHere(Work work) {
        boolean cheap;
        try {
            cheap = readHere.test(work);
        } catch (Throwable t) {
            cheap = true; // the runner answers what could not be read; nothing costly is left
        }
        if (!cheap) {
            try {
                workers.execute(() -> run(work));
                return;
            } catch (RejectedExecutionException shuttingDown) {
                // The pool is closing: it was accepted and is read, so it runs here.
            }
        }
        run(work);
    }

    private void drain() {
        Work work;
        try {
            work = take();
        } catch (Throwable t) {
            work = Work.NONE;
        }
        run(work);
    }

    /** Runs what a task took, then hands the model's next waiting requests to a worker, or frees the run. */
    private void run(Work work) {
        try {
            if (!work.batch().isEmpty()) {
                runner.accept(work);
            }
        } catch (Throwable t) {
            // The runner ends every part it is given; this is the last net, so nothing taken waits forever.
            for (Pending p : work.batch()) {
                p.fail(Failures.of(p.model(), t));
            }
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

    /** The next run's requests: one, or with batching as many as arrive within the delay (up to the maximum); or a unit's next part. */
    private synchronized Work take() {
        Pending head = waiting.peekFirst();
        if (head == null) {
            return Work.NONE;
        }
        if (!head.single()) {
            int part = head.claim();
            if (head.drained()) {
                waiting.pollFirst();
            }
            return new Work(List.of(head), part);
        }
        BatchPolicy batching;
        try {
            batching = policy.apply(head);
        } catch (RuntimeException e) {
            batching = BatchPolicy.off("its plan could not be read: " + e.getMessage());
        }
        // Waiting for company only pays when another batch of this model is running now: a lone
        // request (one client, a quiet model) runs at once instead of sitting out the delay.
        if (batching.enabled() && running > 1) {
            long deadline = head.enqueued + batching.maxDelayNanos();
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
        while (!waiting.isEmpty() && waiting.peekFirst().single() && batch.size() < batching.maxBatchSize()) {
            Pending p = waiting.pollFirst();
            p.claim();
            batch.add(p);
        }
        return new Work(batch, 0);
    }

    /** Everything still waiting, taken out (shutdown answers them). */
    synchronized List<Pending> clear() {
        List<Pending> all = new ArrayList<>(waiting);
        waiting.clear();
        return all;
    }
}
