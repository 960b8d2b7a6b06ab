package dev.kiln.grpc;

import dev.kiln.inference.InflightBytes;
import dev.kiln.testing.Startup;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gRPC port's calls and their arriving messages, over real HTTP/2: the per-connection cap is in
 * the server's SETTINGS, a message's bytes are charged to the inference budget while it arrives and
 * refused when they do not fit, and calls past the total are refused at their headers.
 */
@QuarkusTest
@TestProfile(GrpcArrivingCallsTest.SmallBudget.class)
class GrpcArrivingCallsTest {

    public static class SmallBudget implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ai.models.inference.max-queued-bytes", String.valueOf(BUDGET), "ai.models.connections.idle-timeout", "3s",
                    "ai.models.connections.max", String.valueOf(MAX_CALLS),
                    "ai.models.connections.max-calls-per-connection", String.valueOf(PER_CONNECTION));
        }
    }

    static final long BUDGET = 300_000;
    static final int MAX_CALLS = 40;
    static final int PER_CONNECTION = 50;
    static final String INFER = "/inference.GRPCInferenceService/ModelInfer";

    @ConfigProperty(name = "quarkus.grpc.server.test-port")
    int grpcPort;

    @Inject
    InflightBytes inflight;

    @Inject
    Vertx vertx;

    HttpClient client;

    @BeforeEach
    void h2c() throws Exception {
        Startup.awaitStarted();
        client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false).setDefaultHost("127.0.0.1").setDefaultPort(grpcPort));
    }

    @AfterEach
    void close() throws Exception {
        client.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** grpc-java advertised no limit (2^31-1 calls on one connection: 100,000 headers frames filled a 256 MB heap). */
    @Test
    void theServerAdvertisesTheCallsOneConnectionMayHaveOpen() throws Exception {
        try (Socket s = new Socket("127.0.0.1", grpcPort)) {
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            int length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
            assertEquals(4, in.readUnsignedByte(), "the server's first frame is its SETTINGS");
            in.readUnsignedByte();
            in.readInt();
            Long maxStreams = null;
            for (int read = 0; read < length; read += 6) {
                int id = in.readUnsignedShort();
                long value = in.readInt() & 0xffffffffL;
                if (id == 3) {
                    maxStreams = value;
                }
            }
            assertEquals(Long.valueOf(PER_CONNECTION), maxStreams, "SETTINGS_MAX_CONCURRENT_STREAMS");
        }
    }

    /**
     * A message's bytes count in the budget while it arrives, and one that outgrows the budget is refused
     * (30 calls of 3.7 MB less a byte held 111 MB of direct memory beside a 64 MB budget).
     */
    @Test
    void aMessageIsChargedAsItArrivesAndRefusedWhenItDoesNotFit() throws Exception {
        long before = inflight.held();
        CompletableFuture<HttpClientResponse> answer = new CompletableFuture<>();
        HttpClientRequest call = open(answer);
        call.write(Buffer.buffer(prefix(1_000_000)).appendBytes(new byte[100_000]));
        await().atMost(10, TimeUnit.SECONDS).until(() -> inflight.held() - before >= 100_000);
        assertTrue(!answer.isDone(), "a message that fits is still being received");

        call.write(Buffer.buffer(new byte[250_000]));
        HttpClientResponse refused = answer.get(10, TimeUnit.SECONDS);
        assertEquals("14", refused.getHeader("grpc-status"), "UNAVAILABLE");
        assertTrue(refused.getHeader("grpc-message").contains("does not fit beside them"), refused.getHeader("grpc-message"));
        await().atMost(10, TimeUnit.SECONDS).until(() -> inflight.held() == before);
    }

    /**
     * A call whose message stops coming is ended after the idle timeout and its bytes let go: its call is in
     * progress, so the connection's idle timeout never applied, and it kept its charge for good.
     */
    @Test
    void aMessageThatStopsComingIsEndedAfterTheIdleTimeout() throws Exception {
        long before = inflight.held();
        CompletableFuture<HttpClientResponse> answer = new CompletableFuture<>();
        long t0 = System.nanoTime();
        open(answer).write(Buffer.buffer(prefix(1_000_000)).appendBytes(new byte[20_000]));
        await().atMost(5, TimeUnit.SECONDS).until(() -> inflight.held() > before);
        HttpClientResponse ended = answer.get(15, TimeUnit.SECONDS);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals("4", ended.getHeader("grpc-status"), "DEADLINE_EXCEEDED");
        assertTrue(ended.getHeader("grpc-message").contains("ai.models.connections.idle-timeout"), ended.getHeader("grpc-message"));
        assertTrue(ms >= 2_900, "not before the idle timeout: " + ms + " ms");
        await().atMost(5, TimeUnit.SECONDS).until(() -> inflight.held() == before);
    }

    /** Calls past ai.models.connections.max, from any connections, are refused at their headers. */
    @Test
    void callsPastTheTotalAreRefusedAtTheirHeaders() throws Exception {
        List<HttpClientRequest> held = new ArrayList<>();
        List<CompletableFuture<HttpClientResponse>> answers = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_CALLS; i++) {
                CompletableFuture<HttpClientResponse> a = new CompletableFuture<>();
                HttpClientRequest call = open(a);
                call.write(Buffer.buffer(prefix(100)));
                held.add(call);
                answers.add(a);
            }
            Thread.sleep(500);
            assertTrue(answers.stream().noneMatch(CompletableFuture::isDone), "calls within the total wait for their messages");
            CompletableFuture<HttpClientResponse> past = new CompletableFuture<>();
            open(past).write(Buffer.buffer(prefix(100)));
            HttpClientResponse refused = past.get(10, TimeUnit.SECONDS);
            assertEquals("14", refused.getHeader("grpc-status"), "UNAVAILABLE");
            assertTrue(refused.getHeader("grpc-message").contains("gRPC calls are in progress"), refused.getHeader("grpc-message"));
        } finally {
            held.forEach(HttpClientRequest::reset);
        }
    }

    /** A ModelInfer call whose headers are sent and whose message is not. */
    private HttpClientRequest open(CompletableFuture<HttpClientResponse> answer) throws Exception {
        HttpClientRequest call = client.request(HttpMethod.POST, INFER).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        call.putHeader("content-type", "application/grpc").putHeader("te", "trailers").setChunked(true);
        call.exceptionHandler(ignored -> { }); // the held calls are reset at the end
        call.response().onSuccess(answer::complete).onFailure(answer::completeExceptionally);
        return call;
    }

    /** gRPC's message prefix: not compressed, then the message's length. */
    private static byte[] prefix(int length) {
        return new byte[] {0, (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length};
    }
}
