package dev.kiln.runtime;

import dev.kiln.config.AiModelsConfig;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.OptionalInt;

/**
 * How the container's CPUs are shared between inference workers (runs at the same time) and ONNX
 * Runtime's intra-op threads (threads inside one run): workers × intra-op threads = CPUs, so runs
 * never ask for more threads than there are cores. Up to {@link #MAX_DEFAULT_WORKERS} runs at once,
 * more threads per run beyond that: small models gain from running side by side, large ones from
 * threads inside a run. Measured on 2 cores (README, bench/inference.sh): 2 workers × 1 thread served
 * MiniLM-q at 1.9× the requests/s of 2 workers × 2 threads, and PP-OCR detection faster too.
 */
@RegisterForReflection
public record ThreadBudget(int cpus, int workers, int intraOpThreads) {

    static final int MAX_DEFAULT_WORKERS = 4;

    /**
     * {@code cpus}: what the JVM may use (it reads the cgroup CPU quota, not the host's cores).
     * What is configured wins; what is not is derived from it and the CPUs.
     */
    public static ThreadBudget of(int cpus, OptionalInt configuredWorkers, int configuredIntraOp) {
        int n = Math.max(1, cpus);
        int workers = configuredWorkers.isPresent() ? Math.max(1, configuredWorkers.getAsInt())
                : configuredIntraOp > 0 ? Math.max(1, n / configuredIntraOp)
                : Math.min(n, MAX_DEFAULT_WORKERS);
        int intraOp = configuredIntraOp > 0 ? configuredIntraOp : Math.max(1, n / workers);
        return new ThreadBudget(n, workers, intraOp);
    }

    /** The budget of this container, from its CPUs and what ai.models configures. */
    public static ThreadBudget of(AiModelsConfig config) {
        return of(Runtime.getRuntime().availableProcessors(), config.inference().workers(), config.session().intraOpThreads());
    }

    public String describe() {
        return workers + " inference worker(s) × " + intraOpThreads + " intra-op thread(s) on " + cpus + " CPU(s)";
    }
}
