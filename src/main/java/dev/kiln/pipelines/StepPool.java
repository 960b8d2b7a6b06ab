package dev.kiln.pipelines;

import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where the pipelines' own work runs: built-in steps (decoding, resizing, DB post-processing, crops),
 * reading requests and writing answers. One thread per CPU, of its own: the inference workers are
 * for models and the event loop must never wait, so every continuation after a model call hops here
 * explicitly. Its queue is not bounded: what bounds the work is {@link PipelineRunner}'s admission
 * of requests, so a task handed over here is never refused (a refused continuation would leave its
 * request unanswered).
 */
@ApplicationScoped
public class StepPool implements Executor {

    private static final Logger LOG = Logger.getLogger(StepPool.class);

    private final ThreadPoolExecutor pool;

    public StepPool() {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "kiln-step-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        LOG.debugf("pipeline steps run on %d thread(s)", threads);
    }

    @Override
    public void execute(Runnable task) {
        pool.execute(task);
    }

    /** Threads: the CPUs the JVM may use. */
    public int threads() {
        return pool.getMaximumPoolSize();
    }
}
