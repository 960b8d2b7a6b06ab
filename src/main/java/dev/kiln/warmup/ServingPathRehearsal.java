package dev.kiln.warmup;

import dev.kiln.catalog.ModelManifest;
import dev.kiln.embeddings.EmbeddingService;
import dev.kiln.inference.InferenceService;
import dev.kiln.inference.V2Codec;
import dev.kiln.registry.ModelStatus;
import dev.kiln.runtime.WarmupInputs;
import dev.kiln.runtime.Datatype;
import dev.kiln.runtime.TensorBuffer;
import dev.kiln.runtime.TensorSpec;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * After a model's session is warm, its serving path is rehearsed: the same synthetic inputs sent
 * as V2 JSON and as V2 binary requests through the whole inference path (queue, reading, run,
 * writing), for a short time budget. The JIT then compiles the codecs before the first client
 * comes; measured from outside, V2 JSON was 2.6 ms over ONNX Runtime in the first seconds after
 * a start without this, and 0.76 ms once warm. It runs on a thread of its own once the warm-up has
 * loaded and warmed every model (between loads it slowed the next one), so it never delays
 * /q/health/started; not counted as use.
 */
@ApplicationScoped
public class ServingPathRehearsal {

    private static final Logger LOG = Logger.getLogger(ServingPathRehearsal.class);
    /** Enough requests for the codecs' loops to be compiled, within a budget that keeps startup short. */
    static final int REQUESTS = 300;
    static final long BUDGET_NANOS = TimeUnit.MILLISECONDS.toNanos(400);

    private final InferenceService inference;
    private final V2Codec codec;
    private final EmbeddingService embeddings;
    private final java.util.Map<String, Integer> rehearsed = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Set<String> tokenizers = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.Map<String, java.time.Instant> began = new java.util.concurrent.ConcurrentHashMap<>();
    /** Rehearsals asked for and not yet over. */
    private final java.util.concurrent.atomic.AtomicInteger unfinished = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.ExecutorService thread = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "kiln-rehearsal");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        return t;
    });

    public ServingPathRehearsal(InferenceService inference, V2Codec codec, EmbeddingService embeddings) {
        this.inference = inference;
        this.codec = codec;
        this.embeddings = embeddings;
    }

    /**
     * Rehearses the model's serving path on the rehearsal thread, after what is already queued there:
     * its tokenizer first when it serves /v1/embeddings, then V2 requests.
     */
    void rehearseSoon(ModelStatus model, List<TensorSpec> inputs) {
        unfinished.incrementAndGet();
        try {
            thread.execute(() -> {
                try {
                    began.putIfAbsent(model.name(), java.time.Instant.now());
                    openTokenizer(model);
                    rehearsed.merge(model.name(), rehearse(model.name(), model.version(), inputs, model.entry().manifest()), Integer::sum);
                } finally {
                    unfinished.decrementAndGet();
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            unfinished.decrementAndGet();   // shutting down: nothing to rehearse for
        }
    }

    /**
     * Runs the task on the rehearsal thread once every rehearsal asked for before it is over; it
     * counts as one for {@link #idle()}. A task that fails is logged and forgotten.
     */
    void afterQueued(Runnable task) {
        unfinished.incrementAndGet();
        try {
            thread.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.warn("after the startup rehearsals: " + e);
                } finally {
                    unfinished.decrementAndGet();
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            unfinished.decrementAndGet();   // shutting down
        }
    }

    /**
     * True when no rehearsal is waiting or running. They run after the startup warm-up, so the first
     * requests after /q/health/started can meet one (for tests that need the models to themselves).
     */
    public boolean idle() {
        return unfinished.get() == 0;
    }

    /** Models whose tokenizer a rehearsal opened (for tests and logs). */
    public boolean tokenizerOpened(String model) {
        return tokenizers.contains(model);
    }

    private void openTokenizer(ModelStatus model) {
        try {
            if (embeddings.prepareTokenizer(model)) {
                tokenizers.add(model.name());
            }
        } catch (RuntimeException e) {
            // the first embeddings request opens it, and reports what is wrong with it
        }
    }

    /** When the first rehearsal of a model began, if one has (for tests and logs). */
    public java.util.Optional<java.time.Instant> began(String model) {
        return java.util.Optional.ofNullable(began.get(model));
    }

    /** Requests sent so far in rehearsals of a model, its versions together (for tests and logs). */
    public int rehearsed(String model) {
        return rehearsed.getOrDefault(model, 0);
    }

    @jakarta.annotation.PreDestroy
    void stop() {
        thread.shutdownNow();
    }

    /** Rehearses the model's serving path; returns how many requests it sent. A failure ends it quietly: this is an optimisation. */
    int rehearse(String model, int version, List<TensorSpec> inputs, ModelManifest manifest) {
        if (inputs.stream().anyMatch(i -> Datatype.parse(i.datatype()).filter(Datatype::creatable).isEmpty())) {
            return 0;
        }
        byte[] json = json(inputs, manifest);
        Binary binary = binary(inputs, manifest);
        long deadline = System.nanoTime() + BUDGET_NANOS;
        int sent = 0;
        try {
            while (sent < REQUESTS && System.nanoTime() < deadline) {
                boolean asJson = sent % 2 == 0;
                var call = asJson ? codec.call(model, version, json, -1, null)
                        : codec.call(model, version, binary.body(), binary.headerLength(), null);
                inference.rehearse(model, version, call).toCompletableFuture().get(10, TimeUnit.SECONDS);
                sent++;
            }
        } catch (Exception e) {
            // The session itself is warm; a rehearsal that cannot run (the model was unloaded meanwhile) changes nothing.
        }
        return sent;
    }

    private static byte[] json(List<TensorSpec> inputs, ModelManifest manifest) {
        StringBuilder b = new StringBuilder("{\"inputs\":[");
        for (int i = 0; i < inputs.size(); i++) {
            TensorSpec spec = inputs.get(i);
            long[] shape = WarmupInputs.shape(spec, manifest);
            Datatype type = Datatype.parse(spec.datatype()).orElseThrow();
            b.append(i == 0 ? "" : ",").append("{\"name\":\"").append(spec.name()).append("\",\"datatype\":\"").append(type)
                    .append("\",\"shape\":").append(Arrays.toString(shape).replace(" ", "")).append(",\"data\":[");
            long n = elements(shape);
            String name = spec.name().toLowerCase(Locale.ROOT);
            for (long e = 0; e < n; e++) {
                Object v = WarmupInputs.value(type, name, e);
                b.append(e == 0 ? "" : ",").append(v instanceof String s ? "\"" + s + "\"" : v);
            }
            b.append("]}");
        }
        return b.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private record Binary(byte[] body, int headerLength) {
    }

    private static Binary binary(List<TensorSpec> inputs, ModelManifest manifest) {
        StringBuilder header = new StringBuilder("{\"inputs\":[");
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (int i = 0; i < inputs.size(); i++) {
            TensorSpec spec = inputs.get(i);
            long[] shape = WarmupInputs.shape(spec, manifest);
            Datatype type = Datatype.parse(spec.datatype()).orElseThrow();
            String name = spec.name().toLowerCase(Locale.ROOT);
            byte[] raw = TensorBuffer.fill(spec.name(), type, shape, e -> WarmupInputs.value(type, name, e)).binary();
            header.append(i == 0 ? "" : ",").append("{\"name\":\"").append(spec.name()).append("\",\"datatype\":\"").append(type)
                    .append("\",\"shape\":").append(Arrays.toString(shape).replace(" ", ""))
                    .append(",\"parameters\":{\"binary_data_size\":").append(raw.length).append("}}");
            data.writeBytes(raw);
        }
        byte[] head = header.append("],\"parameters\":{\"binary_data_output\":true}}").toString().getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(head);
        body.writeBytes(data.toByteArray());
        return new Binary(body.toByteArray(), head.length);
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
