package dev.kiln.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.Context;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.util.List;

/**
 * Kiln's own spans under the request's (REST or gRPC, made by Quarkus): the queue wait, the wait
 * for a load, the batch with its size, the session run, the warm-up. With tracing off (no OTLP
 * endpoint) the tracer is OpenTelemetry's no-op one and each call costs next to nothing.
 */
@ApplicationScoped
public class Tracing {

    public static final AttributeKey<String> MODEL = AttributeKey.stringKey("kiln.model");
    public static final AttributeKey<String> VERSION = AttributeKey.stringKey("kiln.model.version");
    public static final AttributeKey<Long> BATCH_REQUESTS = AttributeKey.longKey("kiln.batch.size");
    public static final AttributeKey<Long> BATCH_ROWS = AttributeKey.longKey("kiln.batch.rows");
    /** The thread a run ran on (OpenTelemetry's general attribute). */
    public static final AttributeKey<String> THREAD = AttributeKey.stringKey("thread.name");

    private static final Logger LOG = Logger.getLogger(Tracing.class);

    private final Tracer tracer;

    /**
     * With the SDK disabled Quarkus still hands out a recording tracer (it only stops its own
     * instrumentation and export), so Kiln takes the no-op one: then its spans cost nothing.
     */
    public Tracing(Tracer tracer, @ConfigProperty(name = "quarkus.otel.sdk.disabled", defaultValue = "false") boolean disabled) {
        this.tracer = disabled ? TracerProvider.noop().get("kiln") : tracer;
    }

    /** True when spans are recorded and exported (an OTLP endpoint is configured). */
    public boolean enabled() {
        // Never ended, so never exported: only asks whether the SDK makes real spans.
        return tracer.spanBuilder("kiln.probe").startSpan().getSpanContext().isValid();
    }

    void report(@Observes StartupEvent ev) {
        LOG.infof("traces %s", enabled() ? "on: exported over OTLP" : "off (set QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT to turn them on)");
    }

    /** A span started now under {@code parent}, for one model (its version 1). */
    public Span start(String name, Context parent, String model) {
        return start(name, parent, model, 1);
    }

    /** A span started now under {@code parent}, for one version of a model. */
    public Span start(String name, Context parent, String model, int version) {
        return builder(name, parent, model, version).startSpan();
    }

    /** A batch's span: under the first request's trace, linked to the others'. */
    public Span batch(String name, List<Context> requests, String model, int version, long rows) {
        SpanBuilder b = builder(name, requests.get(0), model, version).setAttribute(BATCH_REQUESTS, (long) requests.size())
                .setAttribute(BATCH_ROWS, rows);
        for (int i = 1; i < requests.size(); i++) {
            b.addLink(Span.fromContext(requests.get(i)).getSpanContext());
        }
        return b.startSpan();
    }

    private SpanBuilder builder(String name, Context parent, String model, int version) {
        return tracer.spanBuilder(name).setParent(parent).setAttribute(MODEL, model).setAttribute(VERSION, Integer.toString(version));
    }

    public static void fail(Span span, Throwable t) {
        span.setStatus(StatusCode.ERROR, t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
    }
}
