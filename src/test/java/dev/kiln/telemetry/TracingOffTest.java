package dev.kiln.telemetry;

import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;

/** Without an OTLP endpoint, tracing is off: the tracer makes no real spans (nothing recorded, nothing sent). */
@QuarkusTest
class TracingOffTest {

    @Inject
    Tracing tracing;

    @Test
    void offWithoutAnEndpoint() {
        assertFalse(tracing.enabled());
    }
}
