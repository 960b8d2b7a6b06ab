package dev.kiln.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.testing.PackagedKiln;
import dev.kiln.testing.RawHttp;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGTERM, as Kubernetes sends it on every rolling update: six PP-OCR detection requests
 * ([1,3,640,640]) are sent, then the signal. Readiness turns DOWN at once, every one of the six is
 * answered in full, and the process then exits by itself.
 */
class ShutdownIT {

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void sigtermAnswersEveryRequestAlreadyAccepted() throws Exception {
        byte[] body = detRequest();
        try (PackagedKiln kiln = PackagedKiln.start(PackagedKiln.copyOfDemoRepository("shutdown-models"),
                Map.of("ai.models.admin-token", "t", "quarkus.shutdown.delay", "2s", "quarkus.shutdown.timeout", "60s"), List.of())) {
            List<Socket> inFlight = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                Socket s = new Socket("127.0.0.1", kiln.port);
                s.setSoTimeout(90_000);
                OutputStream out = s.getOutputStream();
                out.write(("POST /v2/models/ppocr-v4-det/infer HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                inFlight.add(s);
            }
            long signalled = System.nanoTime();
            kiln.process.destroy();                         // SIGTERM

            boolean sawNotReady = false;
            while (System.nanoTime() - signalled < TimeUnit.SECONDS.toNanos(2) && !sawNotReady) {
                try {
                    sawNotReady = kiln.get("/q/health/ready").statusCode() == 503;
                } catch (IOException closing) {
                    break;
                }
                Thread.sleep(50);
            }
            int answered = 0;
            for (Socket s : inFlight) {
                try (s) {
                    RawHttp.Reply r = RawHttp.read(s.getInputStream());
                    assertEquals(200, r.status(), r.body().length() > 300 ? r.body().substring(0, 300) : r.body());
                    JsonNode out = JSON.readTree(r.body()).get("outputs").get(0);
                    assertEquals("[1,1,640,640]", out.get("shape").toString());
                    assertEquals(640 * 640, out.get("data").size());
                    answered++;
                }
            }
            assertTrue(kiln.process.waitFor(90, TimeUnit.SECONDS), "the process exits by itself");
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - signalled);
            System.out.printf("shutdown: %d of 6 requests accepted before SIGTERM answered, readiness DOWN seen %s, exit %d after %d s%n",
                    answered, sawNotReady, kiln.process.exitValue(), seconds);
            assertEquals(6, answered, "zero accepted requests unanswered");
            assertTrue(sawNotReady, "readiness turned DOWN during the pre-stop delay");
        }
    }

    private static byte[] detRequest() {
        StringBuilder b = new StringBuilder("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,3,640,640],\"data\":[");
        for (int i = 0; i < 3 * 640 * 640; i++) {
            b.append(i == 0 ? "" : ",").append(i % 7 == 0 ? "0.25" : "0.5");
        }
        return b.append("]}]}").toString().getBytes(StandardCharsets.UTF_8);
    }
}
