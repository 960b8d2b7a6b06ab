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
     * Follow the repository and the settings file this often: what another replica sharing the
     * volume (or a hand) installed, replaced, disabled, enabled or removed, and settings it changed,
     * take effect here too. 0 turns polling off (then only the watch and the rescan endpoint).
     */
    @WithDefault("5s")
    Duration repositoryPollInterval();

    /**
     * Also watch the repository for changes (inotify), which follows them within about a second.
     * It sees only changes made through this machine's kernel: on NFS another host's changes are
     * seen by polling.
     */
    @WithDefault("true")
    boolean repositoryWatch();

    /** When true, models whose manifest says {@code lazy_load: true} stay unloaded until first used. */
    @WithDefault("false")
    boolean lazyLoad();

    /**
     * How long an idle model that is not required for readiness stays loaded: a duration, 0 to
     * unload after each use, -1 to never unload. A model's keep_alive in model.yaml wins.
     */
    @WithDefault("-1")
    String keepAlive();

    /** Execution providers in order of preference; the first that works for a model is used. */
    @WithDefault("cuda,cpu")
    List<String> executionProviders();

    /** Short form of memory.max-loaded-models (which wins when both are set). */
    OptionalInt maxLoadedModels();

    Session session();

    Inference inference();

    Registry registry();

    Warmup warmup();

    Telemetry telemetry();

    Health health();

    Memory memory();

    Install install();

    Connections connections();

    Ocr ocr();

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

    /**
     * Handle SIGTERM and SIGINT by stopping in order (drain requests, close sessions) before the JVM
     * runs its shutdown hooks; off in dev and test, where the test harness owns the process.
     */
    @WithDefault("true")
    boolean handleSignals();

    /** Largest accepted management request body. */
    @WithDefault("65536")
    long maxManagementBodyBytes();

    interface Session {
        /**
         * Threads inside one run: the size of the one intra-op pool all sessions share (or of each
         * session's own pool, with global-thread-pools off); 0: the container's CPUs divided by the
         * inference workers (see ThreadBudget).
         */
        @WithDefault("0")
        int intraOpThreads();

        /** Threads across independent operators; 0: one (the calling thread). */
        @WithDefault("0")
        int interOpThreads();

        /**
         * One pair of ONNX Runtime thread pools for the whole process instead of one per session, so
         * sessions do not fight each other for the cores (and loading a model starts no threads).
         */
        @WithDefault("true")
        boolean globalThreadPools();

        /** Let idle ONNX Runtime pool threads spin: lower latency, but burns CPU that other work could use. */
        @WithDefault("false")
        boolean spinning();

        /** Graph optimisation: none, basic, extended or all. */
        @WithDefault("all")
        String optimizationLevel();

        /**
         * ONNX Runtime's CPU memory arena: a session keeps the memory of its runs for the next one. On
         * by default: measured here (bench/memory.sh), without it every run of a model with large
         * intermediate tensors maps and unmaps them (PP-OCR detection at 640x640: 2-4 times slower),
         * and the arena dies with its session anyway, so an unload still gives its memory back.
         */
        @WithDefault("true")
        boolean cpuArena();
    }

    interface Inference {
        /**
         * Runs at the same time; default: the container's CPUs, at most 4 (then more intra-op threads
         * per run instead). Workers × intra-op threads = CPUs (see ThreadBudget).
         */
        OptionalInt workers();

        /** Requests that may wait for a worker before new ones are answered 503. */
        @WithDefault("64")
        int queueSize();

        /** Largest accepted inference request body; larger ones get 413. */
        @WithDefault("67108864")
        long maxRequestBytes();

        /** Dynamic batching for the models whose model.yaml asks for it; false runs every request alone. */
        @WithDefault("true")
        boolean batching();

        /**
         * Bytes inference may hold at once (request bodies from before they are read until answered,
         * answers until written) before new requests get 503; unset: a quarter of the Java heap.
         */
        OptionalLong maxQueuedBytes();

        /**
         * Bytes a second a request body must arrive at, on average since its head, to keep its place in
         * max-queued-bytes when another request needs the room: a slower one, a second or more after its
         * head, is refused with 408 (a body is held by its declared length from its first byte, so one
         * that trickled held it for good). Its sender's address (IPv6: its /64) is then on probation for a
         * minute: its bodies have no grace second. 0 turns this off.
         */
        @WithDefault("262144")
        long minBodyRate();

        /**
         * The largest answer Kiln writes, in the caller's form (V2 JSON takes up to 16 bytes a float,
         * binary 4): a larger one is refused with 413 before its model runs, where the model's shapes
         * tell its size, else before it is copied out. Unset: half of max-queued-bytes, at most 64 MiB.
         */
        OptionalLong maxAnswerBytes();

        /**
         * A request foreseen to take less than this (from the model's recent requests: by its size on
         * the wire before it is read, by its tensor values once read) is read and run on the event loop
         * that received it when its model is idle, not on an inference worker: two thread hand-offs
         * cost more than such a run's share of the loop. Never for a batching model or a unit of
         * several calls, nor for a gRPC call while others of its loop are in flight; 0 turns it off.
         */
        @WithDefault("5ms")
        Duration runOnEventLoopBelow();
    }

    interface Registry {
        /** How long an unload waits for in-flight requests before it gives up with 409. */
        @WithDefault("10s")
        Duration drainTimeout();

        /**
         * Threads that load models. Sessions open one at a time anyway (so each one's memory can be
         * measured); one thread also keeps a model's weights in one allocator arena, which measured
         * here is what makes unload-reload cycles give their memory back (bench/memory.sh).
         */
        @WithDefault("1")
        @WithName("load-threads")
        int loadThreads();

        /** How often idle models are checked against their keep-alive. */
        @WithDefault("1s")
        Duration sweepInterval();

        /**
         * A model that appears after startup (installed through another replica, copied in by hand)
         * counts for readiness once it has been READY, or this long after it appeared: a copy still
         * being written into a shared repository must not take every replica out of service.
         */
        @WithDefault("60s")
        Duration arrivalGrace();
    }

    interface Warmup {
        /** Warm up right after boot (on its own thread; the startup probe waits for it). */
        @WithDefault("true")
        boolean onStartup();

        /** Warm-up inferences per model when its manifest does not say. */
        @WithDefault("1")
        int iterations();

        /**
         * Once the startup warm-up and its rehearsals are over, give back what starting took and nothing
         * keeps: one collection of the heap, then glibc's free pages (StartupMemoryRelease).
         */
        @WithDefault("true")
        boolean releaseMemory();
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
        /** Bytes the loaded models may take; when unset, budget-percent of the container's memory limit. */
        OptionalLong budgetBytes();

        /**
         * Share of the container's memory limit (or the machine's memory), less the Java heap's
         * maximum, that models may take when budget-bytes is unset.
         */
        @WithDefault("60")
        int budgetPercent();

        /** At most this many models loaded at once; unset: no limit but memory. */
        OptionalInt maxLoadedModels();

        /** A session needs about this many times its files' size in memory. */
        @WithDefault("1.5")
        double sessionOverhead();

        /**
         * ONNX Runtime runs are stopped (507) when the process's resident memory reaches this share of
         * the container's memory limit (or the machine's memory); 0: never. A run's working memory is
         * not known before it runs; the room above the ceiling is for the operator a run is in.
         */
        @WithDefault("85")
        int runCeilingPercent();

        /**
         * A run that grew the process by more than this gives back, when its session's last run in flight
         * ends, what the session's arena took beyond a small run (which the arena would otherwise keep for
         * good); 0: only after a run stopped at the ceiling.
         */
        @WithDefault("268435456")
        long giveBackAboveBytes();
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

        /**
         * How many times its own size an archive may expand to, in total and per zip entry over 1 MiB
         * (ONNX weights compress 1.1-3:1; a zip bomb 1,000:1 and more).
         */
        @WithDefault("100")
        int maxExpansionRatio();

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

        /** {@code oci://} sources: how registries are spoken to. */
        Oci oci();
    }

    interface Oci {
        /** Registries ({@code host} or {@code host:port}) spoken to over plain http; allow-http must be on too. */
        Optional<List<String>> plainHttpRegistries();

        /** A Docker config.json (a Kubernetes .dockerconfigjson works) with credentials per registry, read at each install. */
        Optional<String> authFile();
    }

    /** How long clients may hold a connection without asking anything (HTTP and gRPC ports). */
    interface Connections {
        /**
         * From the first byte of an HTTP/1 request (or of an HTTP/2 connection's first request) to the
         * end of its head: past it, 408 and the connection is closed (a head trickled in byte by byte).
         */
        @WithDefault("10s")
        Duration headerTimeout();

        /**
         * A connection with no request in progress is closed after this: from accept or the end of
         * the last response to the next request's first byte (HTTP), with no call in progress (gRPC).
         */
        @WithDefault("60s")
        Duration idleTimeout();

        /**
         * Connections open at once, HTTP and gRPC, from all senders; past it a new one is closed as it is
         * accepted. Unset: half the file descriptors the process may open, and no more than one per 32 KB
         * of the largest heap (an idle connection holds about 3 KB of it; a flood must not take it all).
         */
        OptionalInt max();

        /**
         * Connections (HTTP and gRPC) one sender (an IPv4 address, an IPv6 /64) may have open at once; past
         * it a new one is closed as it is accepted. Unset: a quarter of {@code max}.
         */
        OptionalInt maxPerAddress();

        /**
         * gRPC calls one connection may have open at once (HTTP/2's SETTINGS_MAX_CONCURRENT_STREAMS:
         * clients queue the rest; a stream past it is refused). The HTTP port's HTTP/2 has the same
         * 100 by Vert.x's default; grpc-java's is unlimited.
         */
        @WithDefault("100")
        int maxCallsPerConnection();
    }

    /** Images read by /v1/ocr and by the image.decode pipeline step. */
    interface Ocr {
        /**
         * The largest image accepted, in pixels (width × height), read from the file's header before
         * any pixel is decoded: larger ones, decompression bombs included, are refused with 400.
         */
        @WithDefault("20000000")
        long maxPixels();
    }
}
