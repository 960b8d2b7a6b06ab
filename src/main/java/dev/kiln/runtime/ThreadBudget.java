package dev.kiln.runtime;

import dev.kiln.config.AiModelsConfig;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.OptionalInt;

/**
 * How the container's CPUs are used by inference: up to {@link #MAX_DEFAULT_WORKERS} runs at once
 * (inference workers), and ONNX Runtime's intra-op threads inside a run. With one pool shared by
 * every session (the default), the pool is sized to the machine: a lone request runs on every core,
 * and runs at the same time share the pool, each keeping roughly its share. Measured on 2 cores
 * (README, bench/inference.sh): against 1 thread a run, PP-OCR detection at 640x640 alone went from
 * about 300 to 170 ms and MiniLM-q served more requests at 8 clients, not fewer. With a pool per
 * session, workers × threads = CPUs, so the runs never ask for more threads than there are cores.
 */
@RegisterForReflection
public record ThreadBudget(int cpus, int workers, int intraOpThreads, boolean sharedPool) {

    static final int MAX_DEFAULT_WORKERS = 4;

    /**
     * {@code cpus}: what the JVM may use (it reads the cgroup CPU quota, not the host's cores).
     * What is configured wins; what is not is derived from it and the CPUs.
     */
    public static ThreadBudget of(int cpus, OptionalInt configuredWorkers, int configuredIntraOp, boolean sharedPool) {
        int n = Math.max(1, cpus);
        if (sharedPool) {
            int workers = configuredWorkers.isPresent() ? Math.max(1, configuredWorkers.getAsInt()) : Math.min(n, MAX_DEFAULT_WORKERS);
            return new ThreadBudget(n, workers, configuredIntraOp > 0 ? configuredIntraOp : n, true);
        }
        int workers = configuredWorkers.isPresent() ? Math.max(1, configuredWorkers.getAsInt())
                : configuredIntraOp > 0 ? Math.max(1, n / configuredIntraOp)
                : Math.min(n, MAX_DEFAULT_WORKERS);
        int intraOp = configuredIntraOp > 0 ? configuredIntraOp : Math.max(1, n / workers);
        return new ThreadBudget(n, workers, intraOp, false);
    }

    /** The budget of this container, from its CPUs and what ai.models configures. */
    public static ThreadBudget of(AiModelsConfig config) {
        return of(Runtime.getRuntime().availableProcessors(), config.inference().workers(), config.session().intraOpThreads(),
                config.session().globalThreadPools());
    }

    public String describe() {
        return sharedPool
                ? workers + " inference worker(s) sharing one intra-op pool of " + intraOpThreads + " thread(s) on " + cpus + " CPU(s)"
                : workers + " inference worker(s) × " + intraOpThreads + " intra-op thread(s) each on " + cpus + " CPU(s)";
    }
}
