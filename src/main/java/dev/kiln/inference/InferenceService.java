package dev.kiln.inference;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.config.AiModelsConfig;
import dev.kiln.errors.JsonErrors;
import dev.kiln.errors.KilnError;
import dev.kiln.inference.V2Records.InferInput;
import dev.kiln.inference.V2Records.InferOutput;
import dev.kiln.inference.V2Records.InferRequest;
import dev.kiln.inference.V2Records.InferResponse;
import dev.kiln.inference.V2Records.RequestedOutput;
import dev.kiln.registry.Lease;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelUnavailableException;
import dev.kiln.runtime.EncodedTensor;
import dev.kiln.runtime.OnnxEngine;
import dev.kiln.runtime.TensorCodec;
import dev.kiln.runtime.TensorSpec;
import dev.kiln.telemetry.UsageTracker;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Runs V2 inference requests on a bounded worker pool, never on the event loop. A full queue is
 * answered at once with 503 and {@code Retry-After}, not with growing latency.
 */
@ApplicationScoped
public class InferenceService {

    public static final String PLATFORM = "onnx_onnxv1";
    public static final String VERSION = "1";

    private final ModelRegistry registry;
    private final OnnxEngine engine;
    private final ObjectMapper mapper;
    private final UsageTracker usage;
    private final ThreadPoolExecutor workers;
    /** Bytes of request bodies accepted and not yet answered; bounded so a queue of large bodies cannot take gigabytes. */
    private final AtomicLong heldBytes = new AtomicLong();
    private final long maxHeldBytes;
    private final java.time.Duration drainTimeout;
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(InferenceService.class);

    public InferenceService(ModelRegistry registry, OnnxEngine engine, ObjectMapper mapper, UsageTracker usage,
                            AiModelsConfig config) {
        this.registry = registry;
        this.engine = engine;
        this.mapper = mapper;
        this.usage = usage;
        this.maxHeldBytes = config.inference().maxQueuedBytes();
        this.drainTimeout = config.registry().drainTimeout();
        int threads = config.inference().workers().orElse(Runtime.getRuntime().availableProcessors());
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(Math.max(1, config.inference().queueSize())), r -> {
            Thread t = new Thread(r, "kiln-infer-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Before the registry closes sessions: requests already queued or running finish first. */
    void onStop(@Observes @Priority(50) ShutdownEvent ev) {
        workers.shutdown();
        try {
            if (!workers.awaitTermination(drainTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warnf("%d inference request(s) still running at shutdown", workers.getActiveCount());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Checks the model exists (cheap, on the caller's thread), waits for a lease without holding a
     * thread (a cold load is a future, not a blocked worker), then queues the work. The queue is
     * bounded twice: in requests, and in the bytes of the bodies it holds.
     */
    public CompletionStage<InferResponse> infer(String model, byte[] body) {
        registry.status(model);
        long size = body == null ? 0 : body.length;
        if (heldBytes.addAndGet(size) > maxHeldBytes && size > 0) {
            heldBytes.addAndGet(-size);
            usage.recordRejected(model);
            return CompletableFuture.failedFuture(new ModelUnavailableException("inference queue holds more than "
                    + maxHeldBytes + " bytes of requests (ai.models.inference.max-queued-bytes); retry shortly", 1));
        }
        long start = System.nanoTime();
        CompletableFuture<InferResponse> answer = new CompletableFuture<>();
        registry.lease(model).whenComplete((lease, failure) -> {
            if (failure != null) {
                finish(model, start, size, answer, null, unwrap(failure));
                return;
            }
            try {
                workers.execute(() -> {
                    try (lease) {
                        finish(model, start, size, answer, execute(lease, parse(body)), null);
                    } catch (Throwable t) {
                        finish(model, start, size, answer, null, t);
                    }
                });
            } catch (RejectedExecutionException e) {
                lease.close();
                heldBytes.addAndGet(-size);
                usage.recordRejected(model);
                answer.completeExceptionally(new ModelUnavailableException(
                        "inference queue is full (" + workers.getQueue().size() + " waiting); retry shortly", 1));
            }
        });
        return answer;
    }

    private void finish(String model, long start, long size, CompletableFuture<InferResponse> answer,
                        InferResponse response, Throwable failure) {
        heldBytes.addAndGet(-size);
        String outcome = failure == null ? "success"
                : failure instanceof KilnError e ? (e.callersFault() || e.kind() == KilnError.Kind.CONFLICT ? "invalid" : "unavailable")
                : "error";
        usage.recordInference(model, outcome, System.nanoTime() - start);
        if (failure == null) {
            answer.complete(response);
        } else {
            answer.completeExceptionally(failure);
        }
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    private InferRequest parse(byte[] body) {
        if (body == null || body.length == 0) {
            throw KilnError.invalid("request body is empty: send a V2 inference request with 'inputs'");
        }
        try {
            InferRequest request = mapper.readValue(body, InferRequest.class);
            if (request == null || request.inputs() == null || request.inputs().isEmpty()) {
                throw KilnError.invalid("'inputs' is missing or empty");
            }
            return request;
        } catch (JsonProcessingException e) {
            throw KilnError.invalid(JsonErrors.describe(e));
        } catch (java.io.IOException e) {
            throw KilnError.invalid("unreadable request body: " + e.getMessage());
        }
    }

    private InferResponse execute(Lease lease, InferRequest request) {
        List<TensorSpec> declared = lease.model().inputs();
        Set<String> requested = requestedOutputs(request, lease.model().outputs());
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
            decodeInputs(request, declared, feeds);
            try (OrtSession.Result result = lease.model().run(feeds, requested)) {
                List<InferOutput> outputs = new ArrayList<>();
                for (Map.Entry<String, OnnxValue> out : result) {
                    EncodedTensor t = TensorCodec.encode(out.getKey(), out.getValue());
                    outputs.add(new InferOutput(t.name(), t.datatype(), t.shape(), t.data()));
                }
                return new InferResponse(lease.modelName(), VERSION, request.id(), null, outputs);
            }
        } catch (OrtException e) {
            throw KilnError.internal("ONNX Runtime failed to run '" + lease.modelName() + "': " + e.getMessage());
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    private void decodeInputs(InferRequest request, List<TensorSpec> declared, Map<String, OnnxTensor> feeds)
            throws OrtException {
        Map<String, TensorSpec> byName = declared.stream().collect(Collectors.toMap(TensorSpec::name, s -> s));
        for (InferInput input : request.inputs()) {
            if (input.name() == null) {
                throw KilnError.invalid("an input has no 'name'");
            }
            TensorSpec spec = byName.get(input.name());
            if (spec == null) {
                throw KilnError.invalid("unknown input '" + input.name() + "': the model's inputs are "
                        + byName.keySet());
            }
            if (feeds.containsKey(input.name())) {
                throw KilnError.invalid("input '" + input.name() + "' is given twice");
            }
            if (input.datatype() == null) {
                throw KilnError.invalid("input '" + input.name() + "': 'datatype' is missing");
            }
            feeds.put(input.name(), TensorCodec.decode(engine.environment(), input.name(), input.datatype(),
                    input.dims(), input.data(), spec));
        }
        List<String> missing = declared.stream().map(TensorSpec::name).filter(n -> !feeds.containsKey(n)).toList();
        if (!missing.isEmpty()) {
            throw KilnError.invalid("missing input(s) " + missing);
        }
    }

    private static Set<String> requestedOutputs(InferRequest request, List<TensorSpec> declared) {
        if (request.outputs() == null || request.outputs().isEmpty()) {
            return Set.of();
        }
        Set<String> known = declared.stream().map(TensorSpec::name).collect(Collectors.toSet());
        Set<String> wanted = new HashSet<>();
        for (RequestedOutput o : request.outputs()) {
            if (o.name() == null || !known.contains(o.name())) {
                throw KilnError.invalid("unknown output '" + o.name() + "': the model's outputs are " + known);
            }
            wanted.add(o.name());
        }
        return wanted;
    }
}
