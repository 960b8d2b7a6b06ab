package dev.kiln.telemetry;

import dev.kiln.testing.Startup;
import dev.kiln.testing.TracingOn;
import dev.kiln.testing.V2;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With tracing on, a request's spans form the tree the README describes, under the caller's W3C trace. */
@QuarkusTest
@TestProfile(TracingTest.On.class)
class TracingTest {

    public static class On implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return TracingOn.settings();
        }
    }

    @Inject
    InMemorySpanExporter spans;

    static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    static final String CALLER = "00f067aa0ba902b7";

    List<SpanData> trace(String traceId, String lastSpan) {
        await().atMost(Duration.ofSeconds(10)).until(() -> spans.getFinishedSpanItems().stream()
                .anyMatch(s -> s.getTraceId().equals(traceId) && s.getName().equals(lastSpan)));
        return spans.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(traceId)).toList();
    }

    static SpanData named(List<SpanData> spans, String name) {
        Optional<SpanData> s = spans.stream().filter(x -> x.getName().equals(name)).findFirst();
        assertTrue(s.isPresent(), name + " in " + spans.stream().map(SpanData::getName).toList());
        return s.get();
    }

    @Test
    void anInferenceIsOneTreeUnderTheCallersTrace() throws Exception {
        Startup.awaitStarted();
        given().header("traceparent", "00-" + TRACE + "-" + CALLER + "-01").contentType("application/json")
                .body(V2.helloWorld()).post("/v2/models/all-minilm-l6-v2-q/infer").then().statusCode(200);
        List<SpanData> t = trace(TRACE, "kiln.session.run");
        SpanData server = t.stream().filter(s -> s.getKind() == SpanKind.SERVER).findFirst().orElseThrow();
        assertEquals(CALLER, server.getParentSpanId(), "the caller's traceparent is the parent");
        SpanData queue = named(t, "kiln.queue");
        SpanData batch = named(t, "kiln.batch");
        SpanData run = named(t, "kiln.session.run");
        assertEquals(server.getSpanId(), queue.getParentSpanId());
        assertEquals(server.getSpanId(), batch.getParentSpanId());
        assertEquals(batch.getSpanId(), run.getParentSpanId());
        assertEquals(1L, batch.getAttributes().get(Tracing.BATCH_REQUESTS));
        for (SpanData s : List.of(queue, batch, run)) {
            assertEquals("all-minilm-l6-v2-q", s.getAttributes().get(Tracing.MODEL));
            assertEquals("1", s.getAttributes().get(Tracing.VERSION));
        }
    }

    @Test
    void aColdRequestShowsItsWaitForTheLoadAndWarmUpsHaveSpans() throws Exception {
        Startup.awaitStarted();
        given().post("/v2/repository/models/ppocr-cls/unload").then().statusCode(200);
        String trace = "11112222333344445555666677778888";
        given().header("traceparent", "00-" + trace + "-" + CALLER + "-01").contentType("application/json")
                .body(Map.of("inputs", List.of(V2.input("x", "FP32", List.of(1L, 3L, 48L, 192L),
                        java.util.Collections.nCopies(3 * 48 * 192, 0.5)))))
                .post("/v2/models/ppocr-cls/infer").then().statusCode(200);
        SpanData load = named(trace(trace, "kiln.session.run"), "kiln.load.wait");
        assertEquals("ppocr-cls", load.getAttributes().get(Tracing.MODEL));
        spans.reset();
        given().post("/api/v1/setup/ai-models/warm-up").then().statusCode(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> spans.getFinishedSpanItems().stream()
                .anyMatch(s -> s.getName().equals("kiln.warmup")));
    }
}
