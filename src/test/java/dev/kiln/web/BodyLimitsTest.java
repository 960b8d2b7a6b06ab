package dev.kiln.web;

import dev.kiln.testing.RawHttp;
import dev.kiln.testing.Startup;
import dev.kiln.testing.WithAdminToken;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Body limits belong to the matched method, so they hold whatever the path's spelling: management
 * bodies up to max-management-body-bytes with a declared length, inference bodies up to
 * max-request-bytes, and the inference queue holds at most max-queued-bytes of requests.
 */
@QuarkusTest
@TestProfile(BodyLimitsTest.SmallLimits.class)
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class BodyLimitsTest {

    static final long MAX_INFER = 2_000_000;

    public static class SmallLimits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ai.models.admin-token", WithAdminToken.TOKEN,
                    "ai.models.inference.max-request-bytes", String.valueOf(MAX_INFER),
                    "ai.models.inference.max-queued-bytes", "3000000",
                    "ai.models.inference.max-answer-bytes", "2000000",
                    "ai.models.inference.workers", "1");
        }
    }

    @jakarta.inject.Inject
    dev.kiln.warmup.ServingPathRehearsal rehearsal;

    static final Map<String, String> ADMIN = Map.of("Authorization", "Bearer " + WithAdminToken.TOKEN,
            "Content-Type", "application/json");

    @Test
    void managementBodiesAreLimitedInEverySpelling() throws Exception {
        Startup.awaitStarted();
        byte[] big = ("{\"lazy_load\": false, \"x\": \"" + "a".repeat(70_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        for (String path : List.of("/api/v1/setup/config", "/api/v1/%73etup/config", "/api/v1//setup/config",
                "/api/v1/setup/x/../config", "/api/v1/setup/config/", "/api/v1/setup/config;x=1")) {
            RawHttp.Reply tooBig = RawHttp.send(RestAssured.port, "POST", path, ADMIN, big);
            assertEquals(413, tooBig.status(), path + ": " + tooBig.body());
            assertTrue(tooBig.body().contains("ai.models.max-management-body-bytes"), tooBig.body());

            Map<String, String> chunked = new java.util.HashMap<>(ADMIN);
            chunked.put("Transfer-Encoding", "chunked");
            RawHttp.Reply unsized = RawHttp.send(RestAssured.port, "POST", path, chunked,
                    "2\r\n{}\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(411, unsized.status(), path + ": " + unsized.body());
            assertTrue(unsized.body().contains("Content-Length"), unsized.body());
        }
    }

    @Test
    void inferenceBodiesAreLimitedByMaxRequestBytes() throws Exception {
        Startup.awaitStarted();
        RawHttp.Reply declared = RawHttp.send(RestAssured.port, "POST", "/v2/models/ppocr-cls/infer",
                Map.of("Content-Type", "application/json", "Content-Length", String.valueOf(MAX_INFER + 1)), new byte[0]);
        assertEquals(413, declared.status(), declared.body());
        assertTrue(declared.body().contains("ai.models.inference.max-request-bytes"), declared.body());

        byte[] huge = new byte[(int) MAX_INFER + 100_000];
        java.util.Arrays.fill(huge, (byte) ' ');
        String chunk = Integer.toHexString(huge.length) + "\r\n";
        byte[] chunkedBody = concat(chunk.getBytes(StandardCharsets.US_ASCII), huge, "\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        // The HTTP layer answers this one itself (a bare 413) before Kiln's mapper sees the failure;
        // the mapper must then write nothing, or every oversized upload logs an ERROR with a stack trace.
        try (ErrorLog errors = new ErrorLog()) {
            RawHttp.Reply streamed = RawHttp.send(RestAssured.port, "POST", "/v2/models/ppocr-cls/infer",
                    Map.of("Content-Type", "application/json", "Transfer-Encoding", "chunked"), chunkedBody);
            assertEquals(413, streamed.status(), streamed.body());
            Thread.sleep(300); // the failed request's handling ends after its answer
            errors.assertEmpty();
        }

        RawHttp.Reply fits = RawHttp.send(RestAssured.port, "POST", "/v2/models/ppocr-cls/infer",
                Map.of("Content-Type", "application/json"), clsRequest());
        assertEquals(200, fits.status(), fits.body());
    }

    /** Kiln inflates no body: a compressed one is refused by name, not parsed as malformed JSON. */
    @Test
    void compressedBodiesAre415BeforeTheyAreRead() throws Exception {
        Startup.awaitStarted();
        java.io.ByteArrayOutputStream zipped = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(zipped)) {
            gz.write(clsRequest());
        }
        RawHttp.Reply infer = RawHttp.send(RestAssured.port, "POST", "/v2/models/ppocr-cls/infer",
                Map.of("Content-Type", "application/json", "Content-Encoding", "gzip"), zipped.toByteArray());
        assertEquals(415, infer.status(), infer.body());
        assertTrue(infer.body().contains("Content-Encoding 'gzip' is not supported: send the body uncompressed"), infer.body());

        Map<String, String> admin = new java.util.HashMap<>(ADMIN);
        admin.put("Content-Encoding", "br");
        RawHttp.Reply config = RawHttp.send(RestAssured.port, "POST", "/api/v1/setup/config", admin, "{}".getBytes(StandardCharsets.UTF_8));
        assertEquals(415, config.status(), config.body());
        assertTrue(config.body().contains("Content-Encoding 'br'"), config.body());

        RawHttp.Reply identity = RawHttp.send(RestAssured.port, "POST", "/v2/models/ppocr-cls/infer",
                Map.of("Content-Type", "application/json", "Content-Encoding", "identity"), clsRequest());
        assertEquals(200, identity.status(), identity.body());
    }

    @Test
    void theQueueHoldsABoundedNumberOfBytes() throws Exception {
        Startup.awaitStarted();
        byte[] body = detRequest();
        assertTrue(body.length > 1_000_000 && body.length < MAX_INFER, "each request fits alone: " + body.length);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<RawHttp.Reply>> replies = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            replies.add(pool.submit(() -> RawHttp.send(RestAssured.port, "POST", "/v2/models/ppocr-v4-det/infer",
                    Map.of("Content-Type", "application/json"), body)));
        }
        int ok = 0;
        int refused = 0;
        for (Future<RawHttp.Reply> f : replies) {
            RawHttp.Reply r = f.get();
            if (r.status() == 200) {
                ok++;
            } else {
                assertEquals(503, r.status(), r.body());
                assertTrue(r.body().contains("ai.models.inference.max-queued-bytes"), r.body());
                assertEquals("1", r.headers().get("retry-after"));
                refused++;
            }
        }
        pool.shutdown();
        System.out.printf("queue bytes: %d answered, %d refused (3 MB bound, %d-byte requests)%n", ok, refused, body.length);
        assertTrue(ok >= 1 && refused >= 1, ok + " answered, " + refused + " refused");
    }

    /**
     * Bodies that never come (declaring 2 MB, the largest accepted, and 1 MB) hold the whole budget
     * from their first byte (a chunked one is held at the largest accepted, the same way); a request that needs room takes theirs, and they get 408.
     * Before min-body-rate, the request was refused with 503 for as long as they trickled.
     */
    @Test
    void bodiesThatStallGiveTheirRoomToRequestsThatNeedIt() throws Exception {
        Startup.awaitStarted();
        // The warm-up's rehearsals hold answers in the same budget: this test needs all of it.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(rehearsal::idle);
        // From another address than the request that needs the room: a refused body puts its sender on probation.
        java.net.InetAddress stallers = java.net.InetAddress.getByName("127.0.0.2");
        try (java.net.Socket large = new java.net.Socket("127.0.0.1", RestAssured.port, stallers, 0);
             java.net.Socket declared = new java.net.Socket("127.0.0.1", RestAssured.port, stallers, 0)) {
            large.getOutputStream().write(("POST /v2/models/ppocr-cls/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 2000000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            declared.getOutputStream().write(("POST /v2/models/ppocr-cls/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 1000000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            Thread.sleep(1_300); // both heads read and admitted, 3,000,000 bytes held (the whole budget), past their first second
            RawHttp.Reply fits = RawHttp.send(RestAssured.port, "POST", "/v2/models/ppocr-v4-det/infer",
                    Map.of("Content-Type", "application/json"), detRequest());
            assertEquals(200, fits.status(), fits.body());
            // Slowest first, as many as make room: one or both (1.2 MB did not fit beside the 1 MB one alone).
            List<String> replies = new ArrayList<>();
            for (java.net.Socket stalled : List.of(large, declared)) {
                replies.add(replyOrWaiting(stalled));
            }
            assertTrue(replies.stream().anyMatch(r -> r.startsWith("HTTP/1.1 408")), replies.toString());
            assertTrue(replies.stream().allMatch(r -> r.equals("still waiting")
                    || r.startsWith("HTTP/1.1 408") && r.contains("ai.models.inference.min-body-rate")), replies.toString());
        }
    }

    /**
     * A client that opens a new stalled body as soon as the last one is refused got a fresh grace second
     * each time, and held the budget through it: one request a second was answered, the rest got 503.
     * Once refused, its address is on probation and its bodies keep their place only while they arrive.
     */
    @Test
    void aClientThatReconnectsAfterEachRefusalDoesNotHoldTheBudget() throws Exception {
        Map<Integer, Integer> statuses = besideStalledBodiesFrom(n -> "127.0.0.3", 1);
        // Before probation: about one answered a second, the rest 503 (5 of 1,960 in one run); since, 86-100 %.
        assertAnswered(statuses, 0.8);
    }

    /**
     * Sixty-two addresses taking turns, each sending a head and nothing more, took a grace second each
     * and denied 80 % of inference. Once sixteen senders were put on probation within a minute, no body
     * has a grace second. Last: that lasts a minute, and the other tests' honest bursts would lose it.
     */
    @Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE)
    void manyAddressesTakingTurnsDoNotHoldTheBudget() throws Exception {
        Map<Integer, Integer> statuses = besideStalledBodiesFrom(n -> "127.0.1." + (1 + n % 60),
                dev.kiln.inference.SlowSenders.MANY);
        // Without the rule 5 of 7,050; with it 79-100 % (on a loaded host an honest body not read yet loses its grace too).
        assertAnswered(statuses, 0.6);
    }

    private static void assertAnswered(Map<Integer, Integer> statuses, double share) {
        int total = statuses.values().stream().mapToInt(Integer::intValue).sum();
        assertTrue(statuses.getOrDefault(200, 0) >= total * share, "requests answered beside the stalled bodies: " + statuses);
    }

    /**
     * A 1.2 MB detection request sent again and again for 6 s beside a client that opens a stalled
     * body of 2 MB (of the 3 MB budget) from {@code address.apply(n)} for its n-th connection as soon
     * as the last one is refused; counted once {@code refusedFirst} stalled bodies have been refused.
     */
    private Map<Integer, Integer> besideStalledBodiesFrom(java.util.function.IntFunction<String> address, int refusedFirst)
            throws Exception {
        Startup.awaitStarted();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(rehearsal::idle);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger stalledRefused = new java.util.concurrent.atomic.AtomicInteger();
        Thread staller = new Thread(() -> {
            for (int n = 0; !stop.get(); n++) {
                try (java.net.Socket s = new java.net.Socket("127.0.0.1", RestAssured.port,
                        java.net.InetAddress.getByName(address.apply(n)), 0)) {
                    s.getOutputStream().write(("POST /v2/models/ppocr-cls/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "Content-Length: 2000000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
                    s.setSoTimeout(3_000);
                    RawHttp.Reply reply = RawHttp.read(s.getInputStream());
                    if (reply.status() == 408) {
                        stalledRefused.incrementAndGet();
                    } else {
                        Thread.sleep(10); // refused before its body (503): the room was taken
                    }
                } catch (Exception e) {
                    // reconnect
                }
            }
        });
        staller.start();
        Map<Integer, Integer> statuses = new java.util.TreeMap<>();
        List<String> refusals = new ArrayList<>();
        ErrorLog errors = new ErrorLog();
        try {
            Thread.sleep(300); // its first body holds 2 of the 3 MB
            byte[] body = detRequest();
            // The first bodies have their grace second: requests get 503 until one takes such a body's room.
            long first = System.nanoTime() + 60_000_000_000L;
            while (stalledRefused.get() < refusedFirst && System.nanoTime() < first) {
                RawHttp.send(RestAssured.port, "POST", "/v2/models/ppocr-v4-det/infer", Map.of("Content-Type", "application/json"), body);
            }
            long end = System.nanoTime() + 6_000_000_000L;
            while (System.nanoTime() < end) {
                RawHttp.Reply r = RawHttp.send(RestAssured.port, "POST", "/v2/models/ppocr-v4-det/infer",
                        Map.of("Content-Type", "application/json"), body);
                statuses.merge(r.status(), 1, Integer::sum);
                if (r.status() != 200 && refusals.size() < 3) {
                    refusals.add(r.status() + " " + r.body());
                }
            }
        } finally {
            stop.set(true);
            staller.join(10_000);
            errors.close();
        }
        System.out.printf("beside stalled bodies: %s, %d of them refused; first refusals: %s%n", statuses, stalledRefused.get(), refusals);
        assertTrue(stalledRefused.get() >= 2, "the stalled bodies were refused: " + stalledRefused.get());
        // A body refused mid-read fails its request after the connection is closed: nothing to log as ERROR.
        errors.assertEmpty();
        return statuses;
    }

    /** ERROR records logged anywhere while it is open. */
    static final class ErrorLog extends java.util.logging.Handler implements AutoCloseable {
        private final List<java.util.logging.LogRecord> errors = new java.util.concurrent.CopyOnWriteArrayList<>();

        ErrorLog() {
            java.util.logging.Logger.getLogger("").addHandler(this);
        }

        @Override
        public void publish(java.util.logging.LogRecord r) {
            if (r.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue()) {
                errors.add(r);
            }
        }

        void assertEmpty() {
            assertTrue(errors.isEmpty(), "logged: " + errors.stream().map(r -> r.getLoggerName() + ": " + r.getMessage()).toList());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            java.util.logging.Logger.getLogger("").removeHandler(this);
        }
    }

    /** What the server sent before it closed the connection, or "still waiting" if it kept it open 3 s. */
    private static String replyOrWaiting(java.net.Socket socket) throws java.io.IOException {
        socket.setSoTimeout(3_000);
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = socket.getInputStream().read(buf)) >= 0; ) {
                got.write(buf, 0, n);
            }
        } catch (java.net.SocketTimeoutException open) {
            return got.size() == 0 ? "still waiting" : "still open after: " + got.toString(StandardCharsets.UTF_8);
        } catch (java.net.SocketException reset) {
            return got.toString(StandardCharsets.UTF_8) + " (then reset: " + reset.getMessage() + ")";
        }
        return got.toString(StandardCharsets.UTF_8);
    }

    static byte[] clsRequest() {
        return request("x", new long[]{1, 3, 48, 192});
    }

    static byte[] detRequest() {
        return request("x", new long[]{1, 3, 320, 320});
    }

    static byte[] request(String input, long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        StringBuilder b = new StringBuilder("{\"inputs\":[{\"name\":\"").append(input).append("\",\"datatype\":\"FP32\",\"shape\":")
                .append(java.util.Arrays.toString(shape).replace(" ", "")).append(",\"data\":[");
        for (long i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append("0.5");
        }
        return b.append("]}]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
