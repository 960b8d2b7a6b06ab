package dev.kiln.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.testing.PackagedKiln;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged jar with a 512 MiB heap, as a memory-bounded pod runs it, against requests that are
 * ordinary for their models but large: each gets an answer (200, or a 4xx/507 that gives the
 * numbers) within 60 s, nothing stays in flight, and a burst of 64 detection clients gets only 200
 * and 503 with no OutOfMemoryError. Before, the first two were never answered and held their
 * leases for good, and the burst ended in 500s, unanswered requests and heap OOMs.
 */
class MemoryBoundsIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    static PackagedKiln kiln;
    static int grpcPort;

    @BeforeAll
    static void start() throws Exception {
        Path repo = PackagedKiln.copyOfDemoRepository("bounds-models");
        grpcPort = dev.kiln.testing.Processes.freePort();
        kiln = PackagedKiln.start(repo, Map.of("ai.models.admin-token", "bounds-token", "quarkus.grpc.server.port", String.valueOf(grpcPort)),
                List.of("-Xmx512m"));
    }

    /**
     * grpc-java parses a message whole before Kiln sees it, and typed int64 contents take 8 bytes a
     * byte as they are parsed: a 63 MB message of zeros (under the 64 MiB REST limit) ended in
     * OutOfMemoryError on the event loop. Under a 512 MiB heap the message limit is a 64th of it.
     */
    @Test
    void aTypedGrpcMessageThatWouldInflateBeyondTheHeapIsRefusedUnread() throws Exception {
        inference.InferTensorContents.Builder zeros = inference.InferTensorContents.newBuilder();
        for (int i = 0; i < 21_000_000; i++) {
            zeros.addInt64Contents(0);
        }
        inference.ModelInferRequest.Builder request = inference.ModelInferRequest.newBuilder().setModelName("all-minilm-l6-v2-q");
        for (String name : List.of("input_ids", "attention_mask", "token_type_ids")) {
            request.addInputs(inference.ModelInferRequest.InferInputTensor.newBuilder().setName(name).setDatatype("INT64")
                    .addShape(1).addShape(21_000_000).setContents(zeros));
        }
        io.grpc.ManagedChannel channel = io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext()
                .maxInboundMessageSize(64 << 20).build();
        try {
            io.grpc.StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
                    () -> inference.GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, java.util.concurrent.TimeUnit.SECONDS)
                            .modelInfer(request.build()));
            assertEquals(io.grpc.Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
        } finally {
            channel.shutdownNow().awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertFalse(Files.readString(PackagedKiln.log(kiln.port)).contains("OutOfMemoryError"), "no OutOfMemoryError in the log");
        assertNothingInFlight();
    }

    @AfterAll
    static void stop() throws Exception {
        if (kiln != null) {
            kiln.close();
        }
    }

    @Test
    void aLargeJsonAnswerIsRefusedWithItsNumbersBeforeAnythingRuns() throws Exception {
        StringBuilder ids = new StringBuilder("[");
        for (int r = 0; r < 64; r++) {
            ids.append(r == 0 ? "[" : ",[").append("101");
            ids.append(",7592".repeat(510)).append(",102]");
        }
        ids.append("]");
        String ones = ("[" + "1,".repeat(511) + "1]");
        String zeros = ("[" + "0,".repeat(511) + "0]");
        String body = "{\"inputs\":[{\"name\":\"input_ids\",\"shape\":[64,512],\"datatype\":\"INT64\",\"data\":" + ids + "},"
                + "{\"name\":\"attention_mask\",\"shape\":[64,512],\"datatype\":\"INT64\",\"data\":[" + (ones + ",").repeat(63) + ones + "]},"
                + "{\"name\":\"token_type_ids\",\"shape\":[64,512],\"datatype\":\"INT64\",\"data\":[" + (zeros + ",").repeat(63) + zeros + "]}]}";
        long t0 = System.nanoTime();
        HttpResponse<String> r = post("/v2/models/all-minilm-l6-v2/infer", "application/json", body.getBytes(StandardCharsets.UTF_8));
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("[64,512] fp32 V2 JSON: %d in %.1f s: %s%n", r.statusCode(), seconds, r.body());
        assertEquals(413, r.statusCode(), r.body());
        assertTrue(r.body().contains("201326592") && r.body().contains("max-answer-bytes"), r.body());
        assertTrue(seconds < 60, "answered in " + seconds + " s");
        assertNothingInFlight();
    }

    @Test
    void twoThousandLongTextsAreEmbeddedWithinAMinute() throws Exception {
        Random random = new Random(7);
        String[] words = "the quick brown fox jumps over a lazy dog while kiln keeps every model hot".split(" ");
        List<String> input = new ArrayList<>();
        for (int i = 0; i < 2048; i++) {
            StringBuilder text = new StringBuilder();
            while (text.length() < 10_000) {
                text.append(words[random.nextInt(words.length)]).append(' ');
            }
            input.add(text.substring(0, 10_000));
        }
        byte[] body = JSON.writeValueAsBytes(Map.of("model", "all-minilm-l6-v2-q", "input", input));
        long t0 = System.nanoTime();
        HttpResponse<String> r = post("/v1/embeddings", "application/json", body);
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("2,048 x 10,000 characters: %d in %.1f s%n", r.statusCode(), seconds);
        assertEquals(200, r.statusCode(), r.body().substring(0, Math.min(500, r.body().length())));
        assertEquals(2048, JSON.readTree(r.body()).get("data").size());
        assertTrue(seconds < 60, "answered in " + seconds + " s");
        assertNothingInFlight();
    }

    @Test
    void sixtyFourDetectionClientsGetOnly200And503AndNoOutOfMemory() throws Exception {
        ByteBuffer pixels = ByteBuffer.allocate(3 * 640 * 640 * 4).order(ByteOrder.LITTLE_ENDIAN);
        while (pixels.hasRemaining()) {
            pixels.putFloat(0.5f);
        }
        byte[] header = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,3,640,640],\"datatype\":\"FP32\",\"parameters\":{\"binary_data_size\":4915200}}],\"parameters\":{\"binary_data_output\":true}}"
                .getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[header.length + pixels.capacity()];
        System.arraycopy(header, 0, body, 0, header.length);
        System.arraycopy(pixels.array(), 0, body, header.length, pixels.capacity());
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        AtomicInteger unanswered = new AtomicInteger();
        Set<String> why = ConcurrentHashMap.newKeySet(); // the reasons of 408s and unanswered requests, for the failure message
        long end = System.nanoTime() + 15_000_000_000L;
        ExecutorService clients = Executors.newFixedThreadPool(64);
        List<Future<?>> running = new ArrayList<>();
        for (int c = 0; c < 64; c++) {
            running.add(clients.submit(() -> {
                while (System.nanoTime() < end) {
                    try {
                        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + kiln.port + "/v2/models/ppocr-v4-det/infer"))
                                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/octet-stream")
                                .header("Inference-Header-Content-Length", String.valueOf(header.length))
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                        HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
                        int status = r.statusCode();
                        statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
                        if (status == 408 && why.size() < 8) {
                            why.add(r.body());
                        }
                        if (status == 503) {
                            Thread.sleep(200);
                        }
                    } catch (java.io.IOException e) {
                        unanswered.incrementAndGet();
                        why.add("unanswered: " + e);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }));
        }
        for (Future<?> f : running) {
            f.get();
        }
        clients.shutdown();
        String log = Files.readString(PackagedKiln.log(kiln.port));
        System.out.printf("64 detection clients for 15 s: %s, %d unanswered; %s%n", statuses, unanswered.get(), why);
        assertEquals(0, unanswered.get(), "every request answered: " + statuses + " " + why);
        // 408: a body that came too slowly while others needed its room (InflightBytes): 64 client threads
        // starved of CPU beside the server send some that slowly; a few, and never anything else.
        assertTrue(statuses.keySet().stream().allMatch(s -> s == 200 || s == 503 || s == 408), "only 200, 503 and 408: " + statuses);
        int total = statuses.values().stream().mapToInt(AtomicInteger::get).sum();
        int slow = statuses.getOrDefault(408, new AtomicInteger()).get();
        assertTrue(slow <= Math.max(5, total / 50), "few 408s: " + statuses + " " + why);
        assertTrue(statuses.containsKey(200), "some were served: " + statuses);
        assertFalse(log.contains("OutOfMemoryError"), "no OutOfMemoryError in the log");
        assertNothingInFlight();
    }

    private static HttpResponse<String> post(String path, String type, byte[] body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + kiln.port + path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertNothingInFlight() throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        JsonNode models;
        do {
            models = JSON.readTree(kiln.get("/api/v1/setup/models/status").body()).get("installed_models");
            boolean idle = true;
            for (JsonNode m : models) {
                idle &= m.get("in_flight").asInt() == 0;
            }
            if (idle) {
                return;
            }
            Thread.sleep(100);
        } while (System.currentTimeMillis() < deadline);
        throw new AssertionError("requests still in flight: " + models);
    }
}
