package dev.kiln.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Every Kiln setting, under the prefix {@code ai.models}. Each key also has its environment form
 * ({@code ai.models.lazy-load} = {@code AI_MODELS_LAZY_LOAD}), and a {@code .env} file works too.
 */
@ConfigMapping(prefix = "ai.models")
public interface AiModelsConfig {

    /** Directory holding one sub-directory per model. */
    @WithDefault("target/demo-models")
    String repository();

    /**
     * Rescan the repository this often, so directories added or removed by hand are picked up
     * without a call to the rescan endpoint. Unset (the default): only on request.
     */
    Optional<Duration> repositoryPollInterval();

    /** When true, models whose manifest says {@code lazy_load: true} stay unloaded until first used. */
    @WithDefault("false")
    boolean lazyLoad();

    /** Execution providers in order of preference; the first that works for a model is used. */
    @WithDefault("cuda,cpu")
    List<String> executionProviders();

    Session session();

    Inference inference();

    Registry registry();

    Warmup warmup();

    Telemetry telemetry();

    Health health();

    Memory memory();

    Install install();

    /** Bearer token for mutating endpoints; unset means no token (see {@link #adminTokenRequired()}). */
    Optional<String> adminToken();

    /** Whether a token must exist for mutating endpoints to work at all (true in the prod profile). */
    @WithDefault("false")
    boolean adminTokenRequired();

    /** Lets mutating endpoints work without a token where one is required (trusted networks only). */
    @WithDefault("false")
    boolean allowUnauthenticatedAdmin();

    /** Also require the admin token for V2 inference. */
    @WithDefault("false")
    boolean protectInference();

    /** Largest accepted management request body. */
    @WithDefault("65536")
    long maxManagementBodyBytes();

    interface Session {
        /** Threads inside one operator; 0 lets ONNX Runtime choose (one per core). */
        @WithDefault("0")
        int intraOpThreads();

        /** Threads across independent operators; 0 lets ONNX Runtime choose. */
        @WithDefault("0")
        int interOpThreads();

        /** Graph optimisation: none, basic, extended or all. */
        @WithDefault("all")
        String optimizationLevel();
    }

    interface Inference {
        /** Threads that run inference; default is the number of cores. */
        OptionalInt workers();

        /** Requests that may wait for a worker before new ones are answered 503. */
        @WithDefault("64")
        int queueSize();

        /** Largest accepted inference request body; larger ones get 413. */
        @WithDefault("67108864")
        long maxRequestBytes();

        /** Request bytes the queue may hold (waiting or running) before new requests get 503. */
        @WithDefault("268435456")
        long maxQueuedBytes();
    }

    interface Registry {
        /** How long an unload waits for in-flight requests before it gives up with 409. */
        @WithDefault("10s")
        Duration drainTimeout();

        /** Threads that load models; loads of different models run in parallel up to this. */
        @WithDefault("2")
        @WithName("load-threads")
        int loadThreads();
    }

    interface Warmup {
        /** Run the warm-up as a one-shot scheduler job right after boot. */
        @WithDefault("true")
        boolean onStartup();

        /** Warm-up inferences per model when its manifest does not say. */
        @WithDefault("1")
        int iterations();
    }

    interface Telemetry {
        /** A loaded model unused for longer than this is recommended for unloading. */
        @WithDefault("1h")
        Duration idleAfter();
    }

    interface Health {
        /** Free space in the repository below this is a warning. */
        @WithDefault("1073741824")
        long minFreeDiskBytes();
    }

    interface Memory {
        /** Bytes the loaded models may use; unset means the memory the machine has available now. */
        OptionalLong budgetBytes();

        /** A session needs about this many times its files' size in memory. */
        @WithDefault("1.5")
        double sessionOverhead();
    }

    interface Install {
        /** Refuse installs without a sha256. */
        @WithDefault("false")
        boolean requireChecksum();

        /** Allow plain http:// sources. */
        @WithDefault("false")
        boolean allowHttp();

        /** Directories under which file:// sources are allowed; none by default. */
        Optional<List<String>> fileRoots();

        /** Largest download, and largest total unpacked size. */
        @WithDefault("4294967296")
        long maxBytes();

        /** Allow loopback, link-local and private addresses (tests use it for their own server). */
        @WithDefault("false")
        boolean allowPrivateNetworks();

        /** When set, the only hosts sources may come from: exact names, or {@code *.example.com} for subdomains. */
        Optional<List<String>> allowedHosts();

        /** Longest a whole download may take, from connect to last byte. */
        @WithDefault("30m")
        Duration downloadTimeout();

        /** Installs that may run at once. */
        @WithDefault("2")
        int threads();
    }
}
