package dev.kiln.setup;

import dev.kiln.config.AiModelsConfig;
import dev.kiln.config.RuntimeSettings;
import dev.kiln.config.SettingsValues;
import dev.kiln.registry.MemoryBudget;
import dev.kiln.runtime.ThreadBudget;
import dev.kiln.setup.SetupRecords.Setting;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** Every setting an operator can set, with its environment name, default and current value. */
final class SettingsCatalog {

    private record Row(String key, String type, String defaultValue, boolean runtime, String description,
                       Function<Sources, Object> current) {
    }

    record Sources(AiModelsConfig config, SettingsValues runtime) {

        ThreadBudget threads() {
            return ThreadBudget.of(config);
        }
    }

    private static final List<Row> ROWS = List.of(
            new Row("ai.models.repository", "path", "target/demo-models", false,
                    "Directory holding one sub-directory per model (model.onnx + optional model.yaml)", s -> s.config().repository()),
            new Row("ai.models.repository-poll-interval", "duration", "5s", false,
                    "Follow the shared repository and settings file this often (changes by other replicas); 0: off",
                    s -> RuntimeSettings.format(s.config().repositoryPollInterval())),
            new Row("ai.models.repository-watch", "boolean", "true", false,
                    "Also watch the repository (inotify) to follow local changes within a second; NFS needs the poll",
                    s -> s.config().repositoryWatch()),
            new Row("ai.models.lazy-load", "boolean", "false", true,
                    "Models marked lazy_load stay unloaded until their first request", s -> s.runtime().lazyLoad()),
            new Row("ai.models.execution-providers", "list", "cuda,cpu", false,
                    "Execution providers in order of preference; CPU is always the last resort",
                    s -> String.join(",", s.config().executionProviders())),
            new Row("ai.models.session.intra-op-threads", "int", "0", false,
                    "Threads of the intra-op pool all sessions share (0: the CPUs; with pools per session, CPUs / workers)", s -> s.threads().intraOpThreads()),
            new Row("ai.models.session.inter-op-threads", "int", "0", false,
                    "Threads across operators (0: ONNX Runtime decides)", s -> s.config().session().interOpThreads()),
            new Row("ai.models.session.optimization-level", "enum", "all", false,
                    "Graph optimisation: none, basic, extended or all", s -> s.config().session().optimizationLevel()),
            new Row("ai.models.session.cpu-arena", "boolean", "true", false,
                    "ONNX Runtime's CPU memory arena", s -> s.config().session().cpuArena()),
            new Row("ai.models.session.global-thread-pools", "boolean", "true", false,
                    "One ONNX Runtime thread pool for all sessions", s -> s.config().session().globalThreadPools()),
            new Row("ai.models.session.spinning", "boolean", "false", false,
                    "Let idle ONNX Runtime pool threads spin", s -> s.config().session().spinning()),
            new Row("ai.models.inference.workers", "int", "min(CPUs, 4)", false,
                    "Runs at the same time, sharing the one intra-op pool", s -> s.threads().workers()),
            new Row("ai.models.inference.queue-size", "int", "64", false,
                    "Requests that may wait for a worker; beyond it requests get 503 + Retry-After", s -> s.config().inference().queueSize()),
            new Row("ai.models.inference.max-request-bytes", "bytes", "67108864", false,
                    "Largest inference body (413)", s -> s.config().inference().maxRequestBytes()),
            new Row("ai.models.inference.max-queued-bytes", "bytes", "268435456", false,
                    "Request bytes the inference queue may hold before 503", s -> s.config().inference().maxQueuedBytes()),
            new Row("ai.models.inference.min-body-rate", "bytes/s", "262144", false,
                    "A body arriving slower than this, a second after its head, gives its room in max-queued-bytes to a request that needs it (408); its sender then has no grace second for 60 s",
                    s -> s.config().inference().minBodyRate()),
            new Row("ai.models.registry.drain-timeout", "duration", "10s", false,
                    "How long an unload waits for in-flight requests before answering 409", s -> s.config().registry().drainTimeout()),
            new Row("ai.models.registry.sweep-interval", "duration", "1s", false,
                    "How often keep-alive is checked", s -> RuntimeSettings.format(s.config().registry().sweepInterval())),
            new Row("ai.models.handle-signals", "boolean", "true", false,
                    "SIGTERM/SIGINT stop in order before the JVM's shutdown hooks", s -> s.config().handleSignals()),
            new Row("ai.models.registry.load-threads", "int", "1", false,
                    "Threads that load models (sessions open one at a time, to measure each)", s -> s.config().registry().loadThreads()),
            new Row("ai.models.warmup.on-startup", "boolean", "true", false,
                    "Warm up right after boot; the startup probe waits for it", s -> s.config().warmup().onStartup()),
            new Row("ai.models.warmup.iterations", "int", "1", true,
                    "Warm-up inferences per model when its manifest does not say", s -> s.runtime().warmupIterations()),
            new Row("ai.models.telemetry.idle-after", "duration", "1h", true,
                    "A loaded model unused this long is recommended for unloading",
                    s -> RuntimeSettings.format(s.runtime().telemetryIdleAfter())),
            new Row("ai.models.connections.header-timeout", "duration", "10s", false,
                    "A request head (line and headers) must be complete this long after its first byte, else 408",
                    s -> RuntimeSettings.format(s.config().connections().headerTimeout())),
            new Row("ai.models.connections.idle-timeout", "duration", "60s", false,
                    "A connection with no request in progress closes after this (HTTP and gRPC)",
                    s -> RuntimeSettings.format(s.config().connections().idleTimeout())),
            new Row("ai.models.health.min-free-disk-bytes", "bytes", "1073741824", false,
                    "Free space in the repository below this is a health warning", s -> s.config().health().minFreeDiskBytes()),
            new Row("ai.models.memory.budget-bytes", "bytes", "(budget-percent)", false,
                    "Memory the loaded models may take; a load that does not fit unloads idle models or answers 507",
                    s -> s.config().memory().budgetBytes().isPresent() ? s.config().memory().budgetBytes().getAsLong() : ""),
            new Row("ai.models.memory.budget-percent", "int", "60", false,
                    "Without budget-bytes: this share of the container's memory limit less the Java heap",
                    s -> s.config().memory().budgetPercent()),
            new Row("ai.models.memory.max-loaded-models", "int", "", false,
                    "At most this many models loaded at once (ai.models.max-loaded-models also works)",
                    s -> MemoryBudget.maxLoadedModels(s.config()).isPresent() ? MemoryBudget.maxLoadedModels(s.config()).getAsInt() : ""),
            new Row("ai.models.keep-alive", "duration", "-1", false,
                    "Idle models not required for readiness unload after this (0: after each use, -1: never)",
                    s -> s.config().keepAlive()),
            new Row("ai.models.memory.session-overhead", "double", "1.5", false,
                    "A session needs about this many times its files' size", s -> s.config().memory().sessionOverhead()),
            new Row("ai.models.memory.run-ceiling-percent", "int", "85", false,
                    "Runs are stopped (507) when Kiln's resident memory reaches this share of the container's limit; 0: never",
                    s -> s.config().memory().runCeilingPercent()),
            new Row("ai.models.memory.give-back-above-bytes", "bytes", "268435456", false,
                    "A run that grew Kiln by more than this gives its session's arena back when the session's runs end; 0: only after a stopped run",
                    s -> s.config().memory().giveBackAboveBytes()),
            new Row("ai.models.ocr.max-pixels", "long", "20000000", false,
                    "Largest image /v1/ocr and the image.decode pipeline step accept (width x height), read from the header"
                            + " before any pixel is decoded", s -> s.config().ocr().maxPixels()),
            new Row("ai.models.admin-token", "secret", "", false,
                    "Bearer token for mutating endpoints (the value is never shown)",
                    s -> s.config().adminToken().filter(t -> !t.isBlank()).map(t -> "(set)").orElse("")),
            new Row("ai.models.admin-token-required", "boolean", "true in prod", false,
                    "Without a token, mutating endpoints answer 403", s -> s.config().adminTokenRequired()),
            new Row("ai.models.allow-unauthenticated-admin", "boolean", "false", false,
                    "Allow mutating endpoints without a token (trusted networks only)", s -> s.config().allowUnauthenticatedAdmin()),
            new Row("ai.models.protect-inference", "boolean", "false", false,
                    "Require the admin token for V2 inference too", s -> s.config().protectInference()),
            new Row("ai.models.max-management-body-bytes", "bytes", "65536", false,
                    "Largest management request body", s -> s.config().maxManagementBodyBytes()),
            new Row("ai.models.install.require-checksum", "boolean", "false", false,
                    "Refuse installs without sha256", s -> s.config().install().requireChecksum()),
            new Row("ai.models.install.allow-http", "boolean", "false", false,
                    "Allow http:// sources", s -> s.config().install().allowHttp()),
            new Row("ai.models.install.file-roots", "list", "", false,
                    "Directories file:// sources may come from", s -> String.join(",", s.config().install().fileRoots().orElse(List.of()))),
            new Row("ai.models.install.max-bytes", "bytes", "4294967296", false,
                    "Largest download and unpacked total", s -> s.config().install().maxBytes()),
            new Row("ai.models.install.max-expansion-ratio", "int", "100", false,
                    "How many times its own size an archive may expand to", s -> s.config().install().maxExpansionRatio()),
            new Row("ai.models.install.allow-private-networks", "boolean", "false", false,
                    "Allow loopback, link-local and private source addresses", s -> s.config().install().allowPrivateNetworks()),
            new Row("ai.models.install.allowed-hosts", "list", "", false,
                    "When set, the only hosts sources may come from (exact, or *.example.com)",
                    s -> String.join(",", s.config().install().allowedHosts().orElse(List.of()))),
            new Row("ai.models.install.download-timeout", "duration", "30m", false,
                    "Longest a download may take", s -> s.config().install().downloadTimeout()),
            new Row("ai.models.install.threads", "int", "2", false,
                    "Installs running at once", s -> s.config().install().threads()),
            new Row("ai.models.install.oci.plain-http-registries", "list", "", false,
                    "Registries (host or host:port) spoken to over plain http; allow-http must be on too",
                    s -> String.join(",", s.config().install().oci().plainHttpRegistries().orElse(List.of()))),
            new Row("ai.models.install.oci.auth-file", "path", "", false,
                    "Docker config.json with registry credentials, read at each install (the path is not shown)",
                    s -> s.config().install().oci().authFile().filter(f -> !f.isBlank()).map(f -> "(set)").orElse("")));

    private SettingsCatalog() {
    }

    static List<Setting> settings(Sources sources) {
        List<Setting> out = new ArrayList<>();
        for (Row r : ROWS) {
            out.add(new Setting(r.key(), env(r.key()), r.type(), r.defaultValue(), String.valueOf(r.current().apply(sources)),
                    r.runtime(), r.description()));
        }
        return out;
    }

    /** The environment form of a key, as MicroProfile Config maps it: ai.models.lazy-load → AI_MODELS_LAZY_LOAD. */
    static String env(String key) {
        return key.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    static String dotEnv(List<Setting> settings) {
        StringBuilder sb = new StringBuilder("# Kiln settings: copy to .env in the working directory and edit.\n");
        for (Setting s : settings) {
            sb.append("\n# ").append(s.description()).append(" (").append(s.type()).append(", default ")
                    .append(s.defaultValue()).append(")\n").append(s.env()).append('=').append(s.current()).append('\n');
        }
        return sb.toString();
    }

}
