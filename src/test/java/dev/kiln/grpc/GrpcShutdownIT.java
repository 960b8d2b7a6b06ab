package dev.kiln.grpc;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.kiln.testing.PackagedKiln;
import dev.kiln.testing.Processes;
import inference.GRPCInferenceServiceGrpc;
import inference.ModelInferRequest;
import inference.ModelInferResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGTERM with gRPC calls in flight, as {@code ShutdownIT} does for REST: twelve PP-OCR detection
 * calls ([1,3,640,640], raw contents) on one channel; once Kiln has received all twelve, the
 * signal. Every one is answered in full, and the process exits by itself. Calls that reach the
 * model queues are served even when the pre-stop delay ends first (a slow host: this test once
 * failed that way, with "UNAVAILABLE: Kiln is shutting down"); Quarkus's separate gRPC server
 * itself does not drain, so a call still being received when it closes is cut (the README says so).
 */
class GrpcShutdownIT {

    /** About a second of detection work on two cores: queued and running when the signal comes, done within the delay. */
    static final int CALLS = 12;

    @Test
    void sigtermAnswersEveryCallAlreadyAccepted() throws Exception {
        int grpcPort = Processes.freePort();
        ModelInferRequest request = detRequest();
        try (PackagedKiln kiln = PackagedKiln.start(PackagedKiln.copyOfDemoRepository("grpc-shutdown-models"),
                Map.of("quarkus.grpc.server.port", String.valueOf(grpcPort), "quarkus.shutdown.delay", "2s",
                        "quarkus.shutdown.timeout", "60s"), List.of())) {
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext()
                    .maxInboundMessageSize(16 << 20).build();
            try {
                var stub = GRPCInferenceServiceGrpc.newFutureStub(channel).withDeadlineAfter(90, TimeUnit.SECONDS);
                List<ListenableFuture<ModelInferResponse>> inFlight = new ArrayList<>();
                for (int i = 0; i < CALLS; i++) {
                    inFlight.add(stub.modelInfer(request));
                }
                awaitReceived(kiln, CALLS);                     // all twelve handed to Kiln, none answered yet
                long signalled = System.nanoTime();
                kiln.process.destroy();                         // SIGTERM
                int answered = 0;
                for (ListenableFuture<ModelInferResponse> f : inFlight) {
                    ModelInferResponse r = f.get(90, TimeUnit.SECONDS);
                    assertEquals(List.of(1L, 1L, 640L, 640L), r.getOutputs(0).getShapeList());
                    assertEquals(640 * 640 * 4, r.getRawOutputContents(0).size());
                    answered++;
                }
                assertTrue(kiln.process.waitFor(90, TimeUnit.SECONDS), "the process exits by itself");
                System.out.printf("gRPC shutdown: %d of " + CALLS + " calls answered, exit %d after %d s%n", answered, kiln.process.exitValue(),
                        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - signalled));
                assertEquals(CALLS, answered);
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    /** Until Kiln counts {@code n} gRPC requests for the model: each is counted once it is fully received. */
    private static void awaitReceived(PackagedKiln kiln, int n) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            String metrics = kiln.get("/q/metrics").body();
            double received = metrics.lines().filter(l -> l.startsWith("ai_model_transport_requests_total{")
                    && l.contains("model=\"ppocr-v4-det\"") && l.contains("transport=\"grpc\""))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
            if (received >= n) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("Kiln did not receive " + n + " calls within 60 s");
    }

    private static ModelInferRequest detRequest() {
        ByteBuffer pixels = ByteBuffer.allocate(3 * 640 * 640 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 3 * 640 * 640; i++) {
            pixels.putFloat(i % 7 == 0 ? 0.25f : 0.5f);
        }
        return ModelInferRequest.newBuilder().setModelName("ppocr-v4-det")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("FP32")
                        .addShape(1).addShape(3).addShape(640).addShape(640))
                .addRawInputContents(ByteString.copyFrom(pixels.array())).build();
    }
}
