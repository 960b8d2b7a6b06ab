package dev.kiln.web;

import dev.kiln.testing.Admin;
import dev.kiln.testing.ModelServer;
import dev.kiln.testing.RawHttp;
import dev.kiln.testing.Startup;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Slow clients over raw sockets, with a 2 s header timeout and a 3 s idle timeout: a head trickled
 * a byte every 400 ms gets 408 and is closed; a silent connection is closed after the idle timeout,
 * on the HTTP port and on the gRPC port; a keep-alive connection waits the idle timeout between
 * requests; a slow but steady upload and a request that runs longer than both timeouts succeed.
 */
@QuarkusTest
@TestProfile(ConnectionTimeoutsTest.ShortTimeouts.class)
class ConnectionTimeoutsTest {

    public static class ShortTimeouts implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ai.models.connections.header-timeout", "2s", "ai.models.connections.idle-timeout", "3s",
                    "ai.models.install.allow-http", "true", "ai.models.install.allow-private-networks", "true",
                    // few enough that bodies held by workers would take them all
                    "quarkus.thread-pool.max-threads", String.valueOf(WORKERS),
                    "ai.models.connections.max-per-address", String.valueOf(MAX_PER_ADDRESS),
                    "ai.models.connections.max", String.valueOf(MAX_CONNECTIONS));
        }
    }

    static final String HEAD = "GET /q/health/live HTTP/1.1\r\nHost: localhost\r\n";
    static final int WORKERS = 8;
    static final int MAX_PER_ADDRESS = 32;
    /** Two and a half senders' shares: three addresses within their own share fill it. */
    static final int MAX_CONNECTIONS = 80;

    @ConfigProperty(name = "quarkus.http.test-port")
    int port;

    @ConfigProperty(name = "quarkus.grpc.server.test-port")
    int grpcPort;

    /** What a trickle got: ms from its first byte to the server's first byte or close, and the rest of the answer. */
    record Trickled(long ms, InputStream answer) {
    }

    /** Sends {@code start}, then a byte every 400 ms until the server answers or closes. */
    static Trickled trickle(Socket s, String start) throws IOException {
        long t0 = System.nanoTime();
        OutputStream out = s.getOutputStream();
        out.write(start.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        PushbackInputStream in = new PushbackInputStream(s.getInputStream());
        s.setSoTimeout(400);
        for (int i = 0; i < 100; i++) {
            try {
                int b = in.read();
                if (b >= 0) {
                    in.unread(b);
                }
                return new Trickled((System.nanoTime() - t0) / 1_000_000, in);
            } catch (SocketTimeoutException stillOpen) {
                try {
                    out.write('a');
                    out.flush();
                } catch (SocketException closed) {
                    return new Trickled((System.nanoTime() - t0) / 1_000_000, in);
                }
            }
        }
        throw new AssertionError("still open after 40 s of trickling");
    }

    /** Waits without sending until the server closes; returns ms from now. */
    static long awaitClose(Socket s) throws IOException {
        long t0 = System.nanoTime();
        s.setSoTimeout(30_000);
        InputStream in = s.getInputStream();
        try {
            while (in.read() >= 0) {
                // the gRPC server sends its SETTINGS and a GOAWAY first
            }
        } catch (SocketException reset) {
            // closed
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    @Test
    void aTrickledHeadGets408WithinTheHeaderTimeout() throws Exception {
        Startup.awaitStarted();
        try (Socket s = new Socket("127.0.0.1", port)) {
            Trickled t = trickle(s, HEAD + "X-Slow: ");
            s.setSoTimeout(5_000);
            RawHttp.Reply reply = RawHttp.read(t.answer());
            assertEquals(408, reply.status(), reply.body());
            assertTrue(reply.body().contains("\"error\""), reply.body());
            assertEquals(-1, s.getInputStream().read(), "closed after the 408");
            assertTrue(t.ms() >= 1_800 && t.ms() <= 4_000, "answered after " + t.ms() + " ms");
        }
    }

    @Test
    void aSilentConnectionIsClosedAfterTheIdleTimeout() throws Exception {
        Startup.awaitStarted();
        try (Socket s = new Socket("127.0.0.1", port)) {
            long ms = awaitClose(s);
            assertTrue(ms >= 2_700 && ms <= 6_000, "closed after " + ms + " ms");
        }
    }

    @Test
    void keepAliveWaitsTheIdleTimeoutBetweenRequestsAndTimesEachHead() throws Exception {
        Startup.awaitStarted();
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            for (int i = 0; i < 2; i++) {
                out.write((HEAD + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertEquals(200, RawHttp.read(s.getInputStream()).status());
                Thread.sleep(2_000);               // longer than the header timeout, shorter than the idle timeout
            }
            Trickled t = trickle(s, "GET /q/hea");   // the next head is timed too
            s.setSoTimeout(5_000);
            assertEquals(408, RawHttp.read(t.answer()).status());
            assertTrue(t.ms() >= 1_800 && t.ms() <= 4_000, "answered after " + t.ms() + " ms");
        }
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write((HEAD + "\r\n").getBytes(StandardCharsets.US_ASCII));
            assertEquals(200, RawHttp.read(s.getInputStream()).status());
            long ms = awaitClose(s);
            assertTrue(ms >= 2_700 && ms <= 6_000, "idle after a response: closed after " + ms + " ms");
        }
    }

    /** Six seconds for one body, sent 40 bytes every 300 ms: the head came at once, the body keeps coming. */
    @Test
    void aSlowButSteadyUploadSucceeds() throws Exception {
        Startup.awaitStarted();
        byte[] body = ("{\"model\": \"all-minilm-l6-v2-q\", \"input\": \"" + "slow upload ".repeat(60) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            long t0 = System.nanoTime();
            for (int i = 0; i < body.length; i += 40) {
                out.write(body, i, Math.min(40, body.length - i));
                out.flush();
                Thread.sleep(300);
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            RawHttp.Reply reply = RawHttp.read(s.getInputStream());
            assertEquals(200, reply.status(), reply.body());
            assertTrue(ms > 5_000, "the upload took " + ms + " ms");
        }
    }

    /** An embeddings body of about 30 KB: past the 10 KB that Quarkus used to gather before a worker read the rest. */
    static byte[] largeEmbeddingsBody() {
        return ("{\"model\": \"all-minilm-l6-v2-q\", \"input\": \"" + "a slow body ".repeat(2_500) + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    Socket startBody(byte[] body, int sent) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        OutputStream out = s.getOutputStream();
        out.write(("POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body, 0, sent);
        out.flush();
        return s;
    }

    /** A client that asks before sending its body (curl does past 1 MB) is told to go on at once, not after its own timeout. */
    @Test
    void aClientThatExpectsContinueIsToldToGoOn() throws Exception {
        Startup.awaitStarted();
        byte[] body = largeEmbeddingsBody();
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long t0 = System.nanoTime();
            InputStream in = s.getInputStream();
            StringBuilder interim = new StringBuilder();
            while (!interim.toString().endsWith("\r\n\r\n")) {
                interim.append((char) in.read());
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(interim.toString().startsWith("HTTP/1.1 100 Continue"), interim.toString());
            assertTrue(ms < 900, "told to go on after " + ms + " ms");
            out.write(body);
            out.flush();
            RawHttp.Reply reply = RawHttp.read(in);
            assertEquals(200, reply.status(), reply.body());
        }
    }

    /** A body that stops coming gets 408 with a JSON reason once nothing of it came for the idle timeout. */
    @Test
    void aBodyThatStopsComingGets408AfterTheIdleTimeout() throws Exception {
        Startup.awaitStarted();
        byte[] body = largeEmbeddingsBody();
        long t0 = System.nanoTime();
        try (Socket s = startBody(body, 12_000)) {
            s.setSoTimeout(15_000);
            RawHttp.Reply reply = RawHttp.read(s.getInputStream());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(408, reply.status(), reply.body());
            assertTrue(reply.body().contains("ai.models.connections.idle-timeout"), reply.body());
            assertTrue(ms >= 2_800 && ms <= 8_000, "answered after " + ms + " ms");
        }
    }

    /**
     * One address may hold no more than its share of connections: two addresses opening 21,000 silent
     * connections took all but one of the process's file descriptors, and honest calls waited 30 s.
     * Past the cap a connection is closed as it is accepted; others are served, and the address may
     * connect again once its connections close.
     */
    @Test
    void oneAddressMayNotHoldMoreThanItsShareOfConnections() throws Exception {
        Startup.awaitStarted();
        java.net.InetAddress other = java.net.InetAddress.getByName("127.0.0.6");
        java.util.List<Socket> held = new java.util.ArrayList<>();
        try {
            connect(other, MAX_PER_ADDRESS, held);
            Thread.sleep(300); // all accepted and counted
            assertClosedAsAccepted(new Socket("127.0.0.1", port, other, 0), "closed as it was accepted");
            assertEquals(200, RawHttp.send(port, "GET", "/q/health/live", Map.of(), null).status(), "another address is served");
        } finally {
            closeAll(held);
        }
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> {
            try (Socket again = new Socket("127.0.0.1", port, other, 0)) {
                again.setSoTimeout(5_000);
                again.getOutputStream().write("GET /q/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                return RawHttp.read(again.getInputStream()).status() == 200;
            } catch (IOException closed) {
                return false;
            }
        });
    }

    /**
     * Many senders, each within its share, may not hold more connections than the total together: the
     * process keeps the rest of its file descriptors. Past the total a connection from anyone is closed
     * as it is accepted; once connections close, others are served again.
     */
    @Test
    void allSendersTogetherMayNotHoldMoreThanTheTotal() throws Exception {
        Startup.awaitStarted();
        java.util.List<Socket> held = new java.util.ArrayList<>();
        java.util.List<Socket> third = new java.util.ArrayList<>();
        try {
            connect(java.net.InetAddress.getByName("127.0.0.7"), MAX_PER_ADDRESS, held);
            connect(java.net.InetAddress.getByName("127.0.0.8"), MAX_PER_ADDRESS, held);
            connect(java.net.InetAddress.getByName("127.0.0.9"), MAX_PER_ADDRESS, third);
            Thread.sleep(300); // all accepted or closed (the idle timeout, 3 s, is far off)
            int closed = 0;
            for (Socket s : third) {
                if (closedByServer(s)) {
                    closed++;
                }
            }
            assertTrue(closed >= 3 * MAX_PER_ADDRESS - MAX_CONNECTIONS,
                    "the third address's connections past the total are closed, within its own share: " + closed + " closed");
            assertClosedAsAccepted(new Socket("127.0.0.1", port), "a sender with no connection is refused too while the total is held");
        } finally {
            closeAll(held);
            closeAll(third);
        }
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> {
            try {
                return RawHttp.send(port, "GET", "/q/health/live", Map.of(), null).status() == 200;
            } catch (IOException closed) {
                return false;
            }
        });
    }

    /**
     * The gRPC port counts with the HTTP port: an address holding its share of HTTP connections may not
     * open gRPC ones beside them (silent gRPC connections from a few addresses would take the file
     * descriptors the HTTP caps keep), while a gRPC connection within the caps is served.
     */
    @Test
    void theGrpcPortCountsTowardsTheSameCaps() throws Exception {
        Startup.awaitStarted();
        java.net.InetAddress from = java.net.InetAddress.getByName("127.0.0.10");
        try (Socket grpc = new Socket("127.0.0.1", grpcPort, from, 0)) {
            assertTrue(http2Answers(grpc), "a gRPC connection within the caps gets the server's HTTP/2 settings");
        }
        java.util.List<Socket> held = new java.util.ArrayList<>();
        try {
            connect(from, MAX_PER_ADDRESS, held);
            Thread.sleep(300); // all accepted and counted
            try (Socket grpc = new Socket("127.0.0.1", grpcPort, from, 0)) {
                assertTrue(!http2Answers(grpc), "a gRPC connection past the address's share is closed as it is accepted");
            }
        } finally {
            closeAll(held);
        }
    }

    /** Opens {@code n} connections to the HTTP port from {@code from}, into {@code into}. */
    private void connect(java.net.InetAddress from, int n, java.util.List<Socket> into) throws IOException {
        for (int i = 0; i < n; i++) {
            into.add(new Socket("127.0.0.1", port, from, 0));
        }
    }

    private static void closeAll(java.util.List<Socket> sockets) throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
    }

    /** Asks for /q/health/live on {@code s} and expects no answer: the connection was closed as it was accepted. */
    private static void assertClosedAsAccepted(Socket s, String why) throws IOException {
        try (s) {
            s.setSoTimeout(5_000);
            s.getOutputStream().write((HEAD + "\r\n").getBytes(StandardCharsets.US_ASCII));
            assertEquals(-1, s.getInputStream().read(), why);
        } catch (SocketException reset) {
            // closed as it was accepted, and the request written to it reset it
        }
    }

    /** Sends HTTP/2's client preface and an empty SETTINGS frame; true when the server answers with a frame. */
    private static boolean http2Answers(Socket s) throws IOException {
        s.setSoTimeout(5_000);
        try {
            OutputStream out = s.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
            out.flush();
            return s.getInputStream().read() >= 0;
        } catch (SocketException reset) {
            return false;
        }
    }

    /** True when the server closed the connection: a read ends or is reset at once instead of waiting. */
    private static boolean closedByServer(Socket s) throws IOException {
        s.setSoTimeout(20);
        try {
            return s.getInputStream().read() == -1;
        } catch (SocketTimeoutException open) {
            return false;
        } catch (SocketException reset) {
            return true;
        }
    }

    /**
     * A request refused before its body was read still gets the rest of its body, and a keep-alive
     * connection then waits for its next request for the idle timeout: those bytes started the next
     * head's clock, and a connection a client left in its pool got 408 and was closed after the header
     * timeout (Java's HttpClient: "header parser received no bytes").
     */
    @Test
    void theRestOfARefusedBodyDoesNotStartTheNextHeadsClock() throws Exception {
        Startup.awaitStarted();
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST /v2/repository/models/tiny/load HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 20000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            RawHttp.Reply refused = RawHttp.read(s.getInputStream());
            assertTrue(refused.status() >= 400, refused.status() + " " + refused.body()); // answered before its body came
            out.write(new byte[20_000]);
            out.flush();
            Thread.sleep(2_500); // past the 2 s header timeout, within the 3 s idle timeout
            out.write("GET /q/health/live HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            RawHttp.Reply next = RawHttp.read(s.getInputStream());
            assertEquals(200, next.status(), next.body());
        }
    }

    /**
     * A client still sending when its body is refused reads the refusal: the server reads and drops what
     * still comes before it closes. Closed at once, the socket was reset under the client, and Java's
     * HttpClient reported "Connection reset" instead of the 408 it had been sent.
     */
    @Test
    void aClientStillSendingWhenRefusedReadsThe408() throws Exception {
        Startup.awaitStarted();
        byte[] body = largeEmbeddingsBody();
        try (Socket s = startBody(body, 12_000)) {
            s.setSoTimeout(15_000);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (s.getInputStream().available() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(s.getInputStream().available() > 0, "refused after the idle timeout");
            OutputStream out = s.getOutputStream();
            for (int at = 12_000; at < body.length; at += 1_000) {
                out.write(body, at, Math.min(1_000, body.length - at));
                out.flush();
                Thread.sleep(2);
            }
            RawHttp.Reply reply = RawHttp.read(s.getInputStream());
            assertEquals(408, reply.status(), reply.body());
        }
    }

    /**
     * More stopped bodies than there are worker threads: a body is gathered on the event loop, so the
     * workers stay free. Each used to hold a worker, blocked reading, for the 60 s read timeout, and every
     * other request with a body over 10 KB waited.
     */
    @Test
    void bodiesThatStopDoNotHoldTheWorkers() throws Exception {
        Startup.awaitStarted();
        byte[] body = largeEmbeddingsBody();
        java.util.List<Socket> stopped = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < WORKERS + 4; i++) {
                stopped.add(startBody(body, 12_000));
            }
            Thread.sleep(300);
            long t0 = System.nanoTime();
            RawHttp.Reply reply = RawHttp.send(port, "POST", "/v1/embeddings", Map.of("Content-Type", "application/json"), body);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(200, reply.status(), reply.body());
            assertTrue(ms < 2_500, "answered after " + ms + " ms, before the stopped bodies' idle timeout");
        } finally {
            for (Socket s : stopped) {
                s.close();
            }
        }
    }

    /** An install that waits for a 4 s download answers on the same connection: a running request is never cut. */
    @Test
    void aRequestThatRunsLongerThanBothTimeoutsIsAnswered() throws Exception {
        Startup.awaitStarted();
        try (ModelServer server = new ModelServer()) {
            String url = server.serve("/slow.onnx", new byte[320 * 1024], ModelServer.Mode.SLOW);
            long t0 = System.nanoTime();
            Admin.install(Map.of("name", "slow-timeouts", "url", url, "category", "text"), true).statusCode(422);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms > 3_500, "the install took " + ms + " ms");
        }
    }

    /** The idle timeout, then grpc-java's graceful GOAWAY: it waits up to 10 s for the PING ack a silent client never sends. */
    static final long GRPC_CLOSE_MS = 3_000 + 10_000 + 3_000;

    @Test
    void grpcConnectionsThatSendNothingOrTrickleAHeadAreClosedAfterTheIdleTimeout() throws Exception {
        Startup.awaitStarted();
        try (Socket s = new Socket("127.0.0.1", grpcPort)) {
            long ms = awaitClose(s);
            assertTrue(ms >= 2_700 && ms <= GRPC_CLOSE_MS, "silent: closed after " + ms + " ms");
        }
        try (Socket s = new Socket("127.0.0.1", grpcPort)) {
            OutputStream out = s.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[]{0, 0, 0, 4, 0, 0, 0, 0, 0});            // an empty SETTINGS frame
            out.write(new byte[]{0, 0, 100, 1, 4, 0, 0, 0, 1});          // HEADERS of 100 bytes on stream 1 ...
            long t0 = System.nanoTime();
            s.setSoTimeout(400);
            InputStream in = s.getInputStream();
            long ms = -1;
            while (ms < 0 && System.nanoTime() - t0 < 40_000_000_000L) {
                try {
                    if (in.read() < 0) {
                        ms = (System.nanoTime() - t0) / 1_000_000;
                    }
                } catch (SocketTimeoutException stillOpen) {
                    try {
                        out.write(0);                                    // ... that come a byte at a time
                        out.flush();
                    } catch (SocketException closed) {
                        ms = (System.nanoTime() - t0) / 1_000_000;
                    }
                }
            }
            assertTrue(ms >= 2_700 && ms <= GRPC_CLOSE_MS, "trickled HEADERS: closed after " + ms + " ms");
        }
    }
}
