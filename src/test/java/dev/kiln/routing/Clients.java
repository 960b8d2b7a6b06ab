package dev.kiln.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.restassured.RestAssured;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Closed-loop clients over real HTTP, each calling V2 infer on its path (client i on {@code path(i)})
 * with MiniLM's hello request until stopped; what came back is counted.
 */
final class Clients {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Answers by HTTP status, the model_version of each 200, and the calls that got no answer at all. */
    record Result(Map<Integer, Integer> byStatus, List<String> versions, int failures, List<String> samples) {

        int total() {
            return byStatus.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    private final ExecutorService pool;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Map<Integer, AtomicInteger> byStatus = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> versions = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> samples = new ConcurrentLinkedQueue<>();
    private final AtomicInteger failures = new AtomicInteger();

    private Clients(int n) {
        this.pool = Executors.newFixedThreadPool(n);
    }

    static Clients start(int n, IntFunction<String> path) throws Exception {
        Clients c = new Clients(n);
        byte[] body = JSON.writeValueAsBytes(VersionedMiniLm.hello());
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        for (int i = 0; i < n; i++) {
            URI uri = URI.create("http://localhost:" + RestAssured.port + "/v2/models/" + path.apply(i) + "/infer");
            c.pool.submit(() -> c.loop(http, uri, body));
        }
        return c;
    }

    private void loop(HttpClient http, URI uri, byte[] body) {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        while (running.get()) {
            try {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                byStatus.computeIfAbsent(r.statusCode(), s -> new AtomicInteger()).incrementAndGet();
                if (r.statusCode() == 200) {
                    JsonNode answer = JSON.readTree(r.body());
                    versions.add(answer.get("model_version").asText());
                } else if (samples.size() < 5) {
                    samples.add(r.statusCode() + " " + r.body());
                }
            } catch (Exception e) {
                failures.incrementAndGet();
                if (samples.size() < 5) {
                    samples.add(e.toString());
                }
            }
        }
    }

    /**
     * Sends {@code n} requests from {@code threads} clients, request i built by {@code request(i)},
     * and answers the model_version each got (every one must be a 200).
     */
    static String[] versions(int n, int threads, IntFunction<HttpRequest> request) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String[] out = new String[n];
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
            done.add(pool.submit(() -> {
                for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                    HttpResponse<String> r = http.send(request.apply(i), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 200) {
                        throw new AssertionError("request " + i + ": " + r.statusCode() + " " + r.body());
                    }
                    out[i] = JSON.readTree(r.body()).get("model_version").asText();
                }
                return null;
            }));
        }
        pool.shutdown();
        for (var f : done) {
            f.get(300, TimeUnit.SECONDS);
        }
        return out;
    }

    /** A V2 infer of MiniLM's hello on {@code path}, with the body's id and an X-Request-Id header when not null. */
    static HttpRequest infer(String path, String bodyId, String header) {
        Map<String, Object> body = new java.util.HashMap<>(VersionedMiniLm.hello());
        if (bodyId != null) {
            body.put("id", bodyId);
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + "/v2/models/" + path + "/infer"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json");
        if (header != null) {
            b.header("X-Request-Id", header);
        }
        try {
            return b.POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    Result stop() throws InterruptedException {
        running.set(false);
        pool.shutdown();
        if (!pool.awaitTermination(60, TimeUnit.SECONDS)) {
            throw new AssertionError("clients did not stop");
        }
        Map<Integer, Integer> counts = new TreeMap<>();
        byStatus.forEach((s, n) -> counts.put(s, n.get()));
        return new Result(counts, List.copyOf(versions), failures.get(), List.copyOf(samples));
    }
}
