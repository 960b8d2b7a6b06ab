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
        List<java.util.logging.LogRecord> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue()) {
                    errors.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.addHandler(capture);
        try {
            RawHttp.Reply streamed = RawHttp.send(RestAssured.port, "POST", "/v2/models/ppocr-cls/infer",
                    Map.of("Content-Type", "application/json", "Transfer-Encoding", "chunked"), chunkedBody);
            assertEquals(413, streamed.status(), streamed.body());
            Thread.sleep(300); // the failed request's handling ends after its answer
        } finally {
            root.removeHandler(capture);
        }
        assertTrue(errors.isEmpty(), "logged: " + errors.stream().map(r -> r.getLoggerName() + ": " + r.getMessage()).toList());

        RawHttp.Reply fits = RawHttp.send(RestAssured.port, "POST", "/v2/models/ppocr-cls/infer",
                Map.of("Content-Type", "application/json"), clsRequest());
        assertEquals(200, fits.status(), fits.body());
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
