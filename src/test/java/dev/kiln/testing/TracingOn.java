package dev.kiln.testing;

import java.util.Map;

/** Tracing switched on as an operator does it (by naming an OTLP endpoint), spans exported at once to the tests' in-memory exporter. */
public final class TracingOn {

    private TracingOn() {
    }

    public static Map<String, String> settings() {
        return Map.of("quarkus.otel.bsp.schedule.delay", "0.05s",
                "QUARKUS_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:1",
                "quarkus.otel.exporter.otlp.traces.endpoint", "http://127.0.0.1:1");
    }
}
