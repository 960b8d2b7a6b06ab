package dev.kiln.telemetry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The meters of one version of a model (every one carries {@code model} and {@code version} labels).
 * They are the only bookkeeping: Prometheus scrapes them and the JSON telemetry reads them, so the
 * two views cannot disagree.
 */
final class ModelMeters {

    static final String SUCCESS = "success";
    private static final Duration[] LATENCY_BUCKETS = durations(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10);
    private static final Duration[] LOAD_BUCKETS = durations(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120);

    private final MeterRegistry registry;
    private final String model;
    private final Tags tags;
    private final Map<String, Counter> requests = new ConcurrentHashMap<>();
    private final Map<String, Counter> evictions = new ConcurrentHashMap<>();
    private final Map<String, Counter> transports = new ConcurrentHashMap<>();
    private final Timer latency;
    private final Timer load;
    private final Timer warmup;
    private final Counter coldStarts;
    private final Counter loadFailures;
    private final AtomicLong lastUsedMillis = new AtomicLong();
    private final Timer queue;
    private final Timer computeInput;
    private final Timer computeInfer;
    private final Timer computeOutput;
    private final DistributionSummary batchSize;
    private final LongAdder failCount = new LongAdder();
    private final LongAdder failNanos = new LongAdder();
    /** Per batch size (rows): executions and the time of each phase, for the V2 statistics extension. */
    private final Map<Long, LongAdder[]> batches = new ConcurrentHashMap<>();
    private final List<Meter> owned = new ArrayList<>();
    /** The latest successful requests' latencies: the recent p95 a canary is compared on. */
    private final RecentLatencies recent = new RecentLatencies();
    private final String version;
    private volatile ShadowMeters shadow;

    ModelMeters(MeterRegistry registry, String model, int version, String category) {
        this.registry = registry;
        this.model = model;
        this.version = Integer.toString(version);
        this.tags = Tags.of("model", model, "version", this.version, "category", category);
        latency = own(Timer.builder("ai.model.inference.duration").description("Time to serve successful inference requests")
                .tags(tags).serviceLevelObjectives(LATENCY_BUCKETS).register(registry));
        load = own(Timer.builder("ai.model.load.duration").description("Time to open a model in ONNX Runtime")
                .tags(tags).serviceLevelObjectives(LOAD_BUCKETS).register(registry));
        warmup = own(Timer.builder("ai.model.warmup.duration").description("Time of a model's warm-up inferences")
                .tags(tags).serviceLevelObjectives(LOAD_BUCKETS).register(registry));
        queue = own(Timer.builder("ai.model.queue.duration").description("Time requests waited in the model's queue for a worker")
                .tags(tags).serviceLevelObjectives(LATENCY_BUCKETS).register(registry));
        computeInput = compute("input", "Time to read a request's tensors");
        computeInfer = compute("infer", "Time ONNX Runtime ran the request's batch");
        computeOutput = compute("output", "Time to write a request's answer");
        batchSize = own(DistributionSummary.builder("ai.model.batch.size").description("Rows per ONNX Runtime run")
                .tags(tags).serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64).register(registry));
        coldStarts = own(Counter.builder("ai.model.cold.starts").description("Loads that a request had to wait for")
                .tags("model", model, "version", this.version).register(registry));
        loadFailures = own(Counter.builder("ai.model.load.failures").description("Loads that failed")
                .tags(tags).register(registry));
        own(io.micrometer.core.instrument.Gauge.builder("ai.model.last.used.timestamp.seconds", lastUsedMillis,
                        v -> v.get() == 0 ? Double.NaN : v.get() / 1000.0)
                .description("Unix time of the model's last served inference request").tags("model", model, "version", this.version)
                .register(registry));
        for (String outcome : List.of(SUCCESS, "invalid", "unavailable", "error", "rejected")) {
            requests(outcome);
        }
    }

    /** Takes a meter into this model's set, so {@link #remove()} removes it with the others. */
    <M extends Meter> M own(M meter) {
        owned.add(meter);
        return meter;
    }

    void transport(String transport) {
        transports.computeIfAbsent(transport, t -> own(Counter.builder("ai.model.transport.requests")
                .description("Inference requests by transport (rest, grpc)").tags(tags.and("transport", t))
                .register(registry))).increment();
    }

    private Counter requests(String outcome) {
        return requests.computeIfAbsent(outcome, o -> own(Counter.builder("ai.model.inference.requests")
                .description("Inference requests by outcome").tags(tags.and("outcome", o))
                .register(registry)));
    }

    private Timer compute(String phase, String help) {
        return own(Timer.builder("ai.model.compute.duration").description("Compute time per request, by phase: " + help)
                .tags(tags.and("phase", phase)).serviceLevelObjectives(LATENCY_BUCKETS).register(registry));
    }

    void inference(String outcome, long nanos) {
        requests(outcome).increment();
        if (SUCCESS.equals(outcome)) {
            latency.record(nanos, TimeUnit.NANOSECONDS);
            recent.add(nanos);
            lastUsedMillis.set(System.currentTimeMillis());
        } else {
            failCount.increment();
            failNanos.add(nanos);
        }
    }

    void queued(long nanos) {
        queue.record(nanos, TimeUnit.NANOSECONDS);
    }

    void computed(long inputNanos, long inferNanos, long outputNanos) {
        computeInput.record(inputNanos, TimeUnit.NANOSECONDS);
        computeInfer.record(inferNanos, TimeUnit.NANOSECONDS);
        computeOutput.record(outputNanos, TimeUnit.NANOSECONDS);
    }

    /** One ONNX Runtime run of {@code rows} rows, with the time each phase took for the whole batch. */
    void executed(long rows, long inputNanos, long inferNanos, long outputNanos) {
        batchSize.record(rows);
        LongAdder[] b = batches.computeIfAbsent(rows, r -> new LongAdder[]{new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder()});
        b[0].increment();
        b[1].add(inputNanos);
        b[2].add(inferNanos);
        b[3].add(outputNanos);
    }

    InferenceStats stats() {
        List<InferenceStats.Batch> perSize = batches.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> {
                    long n = e.getValue()[0].sum();
                    return new InferenceStats.Batch(e.getKey(), new InferenceStats.Duration(n, e.getValue()[1].sum()),
                            new InferenceStats.Duration(n, e.getValue()[2].sum()), new InferenceStats.Duration(n, e.getValue()[3].sum()));
                }).toList();
        return new InferenceStats(lastUsedMillis.get(), latency.count(), batchSize.count(), duration(latency),
                new InferenceStats.Duration(failCount.sum(), failNanos.sum()), duration(queue), duration(computeInput),
                duration(computeInfer), duration(computeOutput), perSize);
    }

    private static InferenceStats.Duration duration(Timer t) {
        return new InferenceStats.Duration(t.count(), (long) t.totalTime(TimeUnit.NANOSECONDS));
    }

    void loaded(double seconds, boolean onDemand) {
        load.record(Duration.ofNanos((long) (seconds * 1e9)));
        if (onDemand) {
            coldStarts.increment();
        }
    }

    void loadFailed() {
        loadFailures.increment();
    }

    /** An unload Kiln or an operator decided (budget, keep_alive, admin), counted by reason. */
    void evicted(String reason) {
        evictions.computeIfAbsent(reason, r -> own(Counter.builder("ai.model.evictions")
                .description("Unloads by reason: budget (room for another model), keep_alive (idle), admin (an operator)")
                .tags(Tags.of("model", model, "version", version, "reason", r)).register(registry))).increment();
    }

    void warmedUp(double seconds) {
        warmup.record(Duration.ofNanos((long) (seconds * 1e9)));
    }

    Usage usage() {
        long served = (long) requests(SUCCESS).count();
        long errors = requests.entrySet().stream().filter(e -> !e.getKey().equals(SUCCESS))
                .mapToLong(e -> (long) e.getValue().count()).sum();
        Double avgMs = served == 0 ? null : Math.round(latency.mean(TimeUnit.MICROSECONDS) / 10.0) / 100.0;
        long last = lastUsedMillis.get();
        return new Usage(served, errors, (long) coldStarts.count(), avgMs, last == 0 ? null : Instant.ofEpochMilli(last));
    }

    /** The shadow runs this version made (copies of another version's calls), created at the first. */
    ShadowMeters shadow() {
        ShadowMeters s = shadow;
        if (s == null) {
            synchronized (this) {
                if (shadow == null) {
                    shadow = new ShadowMeters(registry, tags, this::own);
                }
                s = shadow;
            }
        }
        return s;
    }

    /** The shadow runs so far; null when this version never shadowed another. */
    ShadowMeters shadowIfAny() {
        return shadow;
    }

    /** Requests and failures (outcomes other than success and rejected), and the recent p95: a version's evidence. */
    Evidence evidence() {
        long failures = 0;
        for (String outcome : List.of("invalid", "unavailable", "error")) {
            failures += (long) requests(outcome).count();
        }
        long served = (long) requests(SUCCESS).count();
        return new Evidence(served + failures, failures, recent.p95Millis(), recent.size());
    }

    /** What a canary is compared on. {@code p95Ms} is over the latest {@code latencySamples} successful requests (null without). */
    record Evidence(long requests, long failures, Double p95Ms, int latencySamples) {

        double failureRate() {
            return requests == 0 ? 0 : (double) failures / requests;
        }
    }

    void remove() {
        owned.forEach(registry::remove);
    }

    private static Duration[] durations(double... seconds) {
        Duration[] d = new Duration[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            d[i] = Duration.ofNanos((long) (seconds[i] * 1e9));
        }
        return d;
    }

    /** Counts for one version, read from its meters (or several versions' added up). */
    record Usage(long usageCount, long errorCount, long coldStarts, Double avgLatencyMs, Instant lastUsed) {

        static final Usage NONE = new Usage(0, 0, 0, null, null);

        Usage plus(Usage o) {
            long served = usageCount + o.usageCount;
            Double avg = served == 0 ? null : Math.round(((avgLatencyMs == null ? 0 : avgLatencyMs * usageCount)
                    + (o.avgLatencyMs == null ? 0 : o.avgLatencyMs * o.usageCount)) / served * 100.0) / 100.0;
            Instant last = lastUsed == null ? o.lastUsed : o.lastUsed == null || lastUsed.isAfter(o.lastUsed) ? lastUsed : o.lastUsed;
            return new Usage(served, errorCount + o.errorCount, coldStarts + o.coldStarts, avg, last);
        }
    }

    /** Successful requests so far and the cumulative count under each latency bucket's bound (seconds). */
    record Reading(long count, double[] bounds, long[] cumulative) {

        /** Two versions' readings as one model's (their buckets are the same). */
        Reading plus(Reading o) {
            long[] sum = cumulative.clone();
            for (int i = 0; i < sum.length && i < o.cumulative.length; i++) {
                sum[i] += o.cumulative[i];
            }
            return new Reading(count + o.count, bounds, sum);
        }
    }

    Reading reading() {
        io.micrometer.core.instrument.distribution.CountAtBucket[] buckets = latency.takeSnapshot().histogramCounts();
        double[] bounds = new double[buckets.length];
        long[] cumulative = new long[buckets.length];
        for (int i = 0; i < buckets.length; i++) {
            bounds[i] = buckets[i].bucket(java.util.concurrent.TimeUnit.SECONDS);
            cumulative[i] = (long) buckets[i].count();
        }
        return new Reading(latency.count(), bounds, cumulative);
    }
}
