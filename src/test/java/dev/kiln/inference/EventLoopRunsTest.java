package dev.kiln.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.telemetry.Tracing;
import com.google.common.util.concurrent.ListenableFuture;
import dev.kiln.testing.Startup;
import dev.kiln.testing.TracingOn;
import inference.GRPCInferenceServiceGrpc;
import inference.ModelInferRequest;
import inference.ModelInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A request its model runs cheaply runs on the event loop that received it; one foreseen to take
 * longer (here: the same tensors in a body tens of thousands of times the usual size) goes to an
 * inference worker. Both answer alike, to the bit. A gRPC call runs on its loop only when it is the
 * loop's one call in flight: calls that share a connection (one loop reads them all) go to workers.
 * Where each ran is read from its run's span.
 */
@QuarkusTest
@TestProfile(EventLoopRunsTest.Cheap.class)
class EventLoopRunsTest {

    public static class Cheap implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // Tracing on, to read where each run ran.
            Map<String, String> settings = new HashMap<>(TracingOn.settings());
            settings.put("ai.models.inference.run-on-event-loop-below", "10s");
            return settings;
        }
    }

    private static final String TENSORS = "\"inputs\":["
            + "{\"name\":\"input_ids\",\"datatype\":\"INT64\",\"shape\":[1,4],\"data\":[101,7592,2088,102]},"
            + "{\"name\":\"attention_mask\",\"datatype\":\"INT64\",\"shape\":[1,4],\"data\":[1,1,1,1]},"
            + "{\"name\":\"token_type_ids\",\"datatype\":\"INT64\",\"shape\":[1,4],\"data\":[0,0,0,0]}]}";

    @Inject
    InMemorySpanExporter spans;

    @ConfigProperty(name = "quarkus.grpc.server.test-port")
    int grpcPort;

    @Inject
    dev.kiln.warmup.ServingPathRehearsal rehearsal;

    /**
     * Started, and the warm-up's rehearsals over: they run after the startup warm-up, and while one
     * has a request of the model in flight the model is busy, so a cheap request rightly goes to a worker.
     */
    private void awaitStartedAndRehearsed() throws Exception {
        Startup.awaitStarted();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(rehearsal::idle);
    }

    @Test
    void aCheapRequestRunsOnItsEventLoopALargeOneOnAWorkerAndTheyAnswerAlike() throws Exception {
        awaitStartedAndRehearsed();
        // The model's first requests teach it what a run costs (the warm-up's rehearsal does too).
        for (int i = 0; i < 3; i++) {
            post("{\"id\":\"a\"," + TENSORS, "0af7651916cd43dd8448eb211c80319" + i);
        }
        String small = "0af7651916cd43dd8448eb211c803190".replace('0', 'e');
        JsonNode onLoop = post("{\"id\":\"a\"," + TENSORS, small);
        assertTrue(ranOn(small).startsWith("vert.x-eventloop"), "a cheap request ran on " + ranOn(small));

        // ~30 MB of JSON whitespace: the same tensors, a request far larger than the model's usual ones.
        String large = "0af7651916cd43dd8448eb211c803190".replace('0', 'f');
        JsonNode onWorker = post("{\"id\":\"a\"," + " ".repeat(30 << 20) + TENSORS, large);
        assertTrue(ranOn(large).startsWith("kiln-infer"), "a request foreseen to be slow ran on " + ranOn(large));

        JsonNode a = onLoop.get("outputs").get(0).get("data");
        JsonNode b = onWorker.get("outputs").get(0).get("data");
        assertEquals(4 * 384, a.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(Float.floatToRawIntBits(a.get(i).floatValue()), Float.floatToRawIntBits(b.get(i).floatValue()), "element " + i);
        }
    }

    @Test
    void aLoneGrpcCallRunsOnItsLoopCallsInFlightTogetherOnWorkers() throws Exception {
        awaitStartedAndRehearsed();
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", grpcPort).usePlaintext().build();
        try {
            ModelInferRequest request = dev.kiln.grpc.GrpcInferenceTest.miniLm(true, 101, 7592, 2088, 102);
            var one = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
            for (int i = 0; i < 3; i++) {
                one.modelInfer(request);
            }
            spans.reset();
            one.modelInfer(request);
            assertEquals(List.of("vert.x-eventloop"), runThreads(1), "a lone gRPC call");

            // Eight calls at a time on one connection, as a client's channel sends them: read on one loop, they
            // used to run there one after another, every one of them, while the workers idled.
            spans.reset();
            var many = GRPCInferenceServiceGrpc.newFutureStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
            for (int round = 0; round < 5; round++) {
                List<ListenableFuture<ModelInferResponse>> calls = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    calls.add(many.modelInfer(request));
                }
                for (ListenableFuture<ModelInferResponse> c : calls) {
                    assertEquals(4 * 384 * 4, c.get(60, TimeUnit.SECONDS).getRawOutputContents(0).size());
                }
            }
            List<String> threads = runThreads(40);
            assertTrue(threads.contains("kiln-infer"), "calls in flight together all ran on " + threads);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** The thread kinds (name without its number) of the first {@code n} runs since the spans were reset. */
    private List<String> runThreads(int n) {
        await().atMost(Duration.ofSeconds(10)).until(() -> runs().size() >= n);
        return runs().stream().limit(n).map(s -> s.getAttributes().get(Tracing.THREAD).replaceAll("-thread-\\d+$|-\\d+$", ""))
                .distinct().sorted().toList();
    }

    private List<SpanData> runs() {
        return spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals("kiln.session.run")).toList();
    }

    private JsonNode post(String body, String trace) throws Exception {
        String answer = given().header("traceparent", "00-" + trace + "-00f067aa0ba902b7-01").contentType("application/json")
                .body(body).post("/v2/models/all-minilm-l6-v2-q/infer").then().statusCode(200).extract().asString();
        return new ObjectMapper().readTree(answer);
    }

    private String ranOn(String trace) {
        await().atMost(Duration.ofSeconds(10)).until(() -> run(trace) != null);
        return run(trace).getAttributes().get(Tracing.THREAD);
    }

    private SpanData run(String trace) {
        return spans.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(trace) && s.getName().equals("kiln.session.run"))
                .findFirst().orElse(null);
    }
}
