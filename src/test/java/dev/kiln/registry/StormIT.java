package dev.kiln.registry;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.runtime.TinyOnnx;
import dev.kiln.testing.PackagedKiln;
import dev.kiln.testing.RawHttp;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A minute of everything at once against the packaged jar, on loopback: eight clients infer across
 * every demo model and an installed one, each answer checked against the output of the model
 * version that can have produced it, while other threads load and unload, disable and enable,
 * install, replace and uninstall, rescan, warm up and change settings, under max-loaded-models=4 so
 * models are evicted all the time. Zero 5xx other than 503/507, zero wrong answers, zero sessions
 * leaked, resident memory bounded; and the process is still alive.
 */
class StormIT {

    static final String TOKEN = "storm";
    static final long SECONDS = 60;
    static final ObjectMapper JSON = new ObjectMapper();
    static final Set<Integer> CLIENT_OK = Set.of(200, 404, 409, 503, 507);
    static final Set<Integer> ADMIN_OK = Set.of(200, 202, 404, 409, 503, 507);

    /** A request and the floats each acceptable version of the model answers with. */
    record Probe(String model, byte[] body, List<float[]> answers) {
    }

    @Test
    void aMinuteOfEverythingAtOnce() throws Exception {
        Path repo = PackagedKiln.copyOfDemoRepository("storm-models");
        Path sources = Files.createDirectories(Path.of("target/storm-sources").toAbsolutePath());
        Files.write(sources.resolve("v1.onnx"), TinyOnnx.doubler(-1));
        Files.write(sources.resolve("v2.onnx"), TinyOnnx.identity(TinyOnnx.FLOAT, -1));
        List<Probe> probes = probes(repo);
        try (PackagedKiln kiln = PackagedKiln.start(repo, Map.of("ai.models.admin-token", TOKEN, "ai.models.lazy-load", "true",
                "ai.models.memory.max-loaded-models", "4", "ai.models.keep-alive", "3s",
                "ai.models.install.file-roots", sources.toString(), "quarkus.shutdown.delay", "0s"),
                // A bounded heap, as in a container: the memory bound below is about native memory (sessions,
                // arenas), and an unbounded heap (a quarter of this 24 GiB machine) grew by up to 600 MiB on its own.
                List.of("-Xmx512m"))) {
            long rssStart = MemoryReleaseIT.rss(kiln.process.pid());
            Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
            AtomicLong wrong = new AtomicLong();
            List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
            ExecutorService pool = Executors.newFixedThreadPool(11);
            List<Future<?>> work = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                Random random = new Random(c);
                work.add(pool.submit(() -> {
                    while (System.nanoTime() < end) {
                        Probe p = probes.get(random.nextInt(probes.size()));
                        RawHttp.Reply r = RawHttp.send(kiln.port, "POST", "/v2/models/" + p.model() + "/infer",
                                Map.of("Content-Type", "application/json"), p.body());
                        outcomes.computeIfAbsent("infer " + r.status(), k -> new AtomicInteger()).incrementAndGet();
                        if (!CLIENT_OK.contains(r.status())) {
                            problems.add(p.model() + " -> " + r.status() + " " + r.body());
                        } else if (r.status() == 200 && !matchesAVersion(r.body(), p.answers())) {
                            wrong.incrementAndGet();
                            problems.add("wrong answer from " + p.model() + ": " + preview(r.body()));
                        }
                    }
                    return null;
                }));
            }
            for (int t = 0; t < 3; t++) {
                Random random = new Random(100 + t);
                work.add(pool.submit(() -> {
                    while (System.nanoTime() < end) {
                        String[] op = chaos(random, sources);
                        RawHttp.Reply r = RawHttp.send(kiln.port, "POST", op[0], Map.of("Authorization", "Bearer " + TOKEN,
                                "Content-Type", "application/json"), op[1].getBytes());
                        outcomes.computeIfAbsent("admin " + r.status(), k -> new AtomicInteger()).incrementAndGet();
                        if (!ADMIN_OK.contains(r.status())) {
                            problems.add(op[0] + " " + op[1] + " -> " + r.status() + " " + r.body());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get(SECONDS + 120, TimeUnit.SECONDS);
            }
            pool.shutdown();
            assertTrue(kiln.process.isAlive(), "the process survived");
            JsonNode loaded = kiln.settledResidents();
            long ready = PackagedKiln.readyIn(loaded);
            long rssEnd = MemoryReleaseIT.rss(kiln.process.pid());
            System.out.printf("storm: %d s, outcomes %s, wrong answers %d, sessions open %d for %d READY models, RSS %d -> %d MiB%n",
                    SECONDS, new java.util.TreeMap<>(outcomes), wrong.get(), loaded.get("sessions_open").asInt(), ready,
                    rssStart >> 20, rssEnd >> 20);
            Files.write(Path.of("target/storm-problems.txt"), problems);
            Map<String, String> kinds = new java.util.TreeMap<>();
            problems.forEach(p -> kinds.putIfAbsent(p.replaceAll("\\{.*", "").replaceAll("\\d+(\\.\\d+)?", "#"), p));
            assertTrue(problems.isEmpty(), problems.size() + " problem(s) of " + kinds.size() + " kind(s): " + kinds.values().stream()
                    .map(StormIT::preview).toList());
            assertEquals(0, wrong.get());
            assertEquals(ready, loaded.get("sessions_open").asLong(), "no session leaked");
            assertTrue(outcomes.getOrDefault("infer 200", new AtomicInteger()).get() > 500, "enough answers: " + outcomes);
            assertTrue(rssEnd < rssStart + (800L << 20), "resident memory bounded: " + (rssStart >> 20) + " -> " + (rssEnd >> 20) + " MiB");
        }
    }

    private static String[] chaos(Random random, Path sources) {
        List<String> lazy = List.of("all-minilm-l6-v2", "ppocr-v4-rec", "storm-x", "ppocr-cls", "all-minilm-l6-v2-q");
        String m = lazy.get(random.nextInt(lazy.size()));
        String version = sources.resolve(random.nextBoolean() ? "v1.onnx" : "v2.onnx").toUri().toString();
        return switch (random.nextInt(10)) {
            case 0 -> new String[]{"/v2/repository/models/" + m + "/load", ""};
            case 1 -> new String[]{"/v2/repository/models/" + m + "/unload", ""};
            case 2 -> new String[]{"/api/v1/setup/ai-models/enable", "{\"name\":\"ppocr-cls\",\"enabled\":" + random.nextBoolean() + "}"};
            case 3 -> new String[]{"/api/v1/setup/ai-models/install?wait=true",
                    "{\"name\":\"storm-x\",\"url\":\"" + version + "\",\"category\":\"text\",\"lazy_load\":true,\"replace\":true}"};
            case 4 -> new String[]{"/api/v1/setup/ai-models/uninstall", "{\"name\":\"storm-x\"}"};
            case 5 -> new String[]{"/api/v1/setup/ai-models/rescan", ""};
            case 6 -> new String[]{"/api/v1/setup/config", "{\"warmup_iterations\":" + (1 + random.nextInt(3)) + "}"};
            case 7 -> new String[]{"/api/v1/setup/ai-models/warm-up?include_lazy=" + random.nextBoolean(), ""};
            default -> new String[]{"/api/v1/setup/ai-models/enable", "{\"name\":\"" + m + "\",\"enabled\":true}"};
        };
    }

    private static boolean matchesAVersion(String body, List<float[]> answers) throws Exception {
        JsonNode data = JSON.readTree(body).get("outputs").get(0).get("data");
        for (float[] expected : answers) {
            if (data.size() == expected.length && close(data, expected)) {
                return true;
            }
        }
        return false;
    }

    private static boolean close(JsonNode data, float[] expected) {
        for (int i = 0; i < expected.length; i++) {
            if (Math.abs(data.get(i).floatValue() - expected[i]) > 1e-4 * Math.max(1, Math.abs(expected[i]))) {
                return false;
            }
        }
        return true;
    }

    private static String preview(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    /** One request per model, and what ONNX Runtime itself answers to it (both versions for storm-x). */
    private static List<Probe> probes(Path repo) throws Exception {
        List<Probe> out = new ArrayList<>();
        long[] ids = {101, 7592, 2088, 102};
        Map<String, Object> text = Map.of("inputs", List.of(
                input("input_ids", "INT64", new long[]{1, 4}, ids), input("attention_mask", "INT64", new long[]{1, 4}, new long[]{1, 1, 1, 1}),
                input("token_type_ids", "INT64", new long[]{1, 4}, new long[]{0, 0, 0, 0})));
        for (String m : List.of("all-minilm-l6-v2-q", "all-minilm-l6-v2")) {
            out.add(new Probe(m, JSON.writeValueAsBytes(text), List.of(direct(repo.resolve(m + "/model.onnx"), Map.of(
                    "input_ids", new long[][]{ids}, "attention_mask", new long[][]{{1, 1, 1, 1}}, "token_type_ids", new long[][]{{0, 0, 0, 0}})))));
        }
        for (Object[] image : new Object[][]{{"ppocr-cls", new long[]{1, 3, 48, 192}}, {"ppocr-v4-det", new long[]{1, 3, 64, 64}},
                {"ppocr-v4-rec", new long[]{1, 3, 48, 64}}}) {
            long[] shape = (long[]) image[1];
            float[] pixels = new float[(int) (shape[0] * shape[1] * shape[2] * shape[3])];
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = (float) Math.sin(i * 0.01);
            }
            out.add(new Probe((String) image[0], JSON.writeValueAsBytes(Map.of("inputs", List.of(input("x", "FP32", shape, pixels)))),
                    List.of(directImage(repo.resolve(image[0] + "/model.onnx"), pixels, shape))));
        }
        float[] x = {1.5f, -2f, 0.25f};
        out.add(new Probe("storm-x", JSON.writeValueAsBytes(Map.of("inputs", List.of(input("X", "FP32", new long[]{3}, x)))),
                List.of(new float[]{3f, -4f, 0.5f}, x)));
        return out;
    }

    private static Map<String, Object> input(String name, String type, long[] shape, Object data) {
        return Map.of("name", name, "datatype", type, "shape", shape, "data", data);
    }

    private static float[] direct(Path model, Map<String, long[][]> feeds) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions(); OrtSession s = env.createSession(model.toString(), o)) {
            Map<String, OnnxTensor> tensors = new java.util.HashMap<>();
            for (var e : feeds.entrySet()) {
                tensors.put(e.getKey(), OnnxTensor.createTensor(env, e.getValue()));
            }
            try (OrtSession.Result r = s.run(tensors)) {
                return flat((OnnxTensor) r.get(0));
            } finally {
                tensors.values().forEach(OnnxTensor::close);
            }
        }
    }

    private static float[] directImage(Path model, float[] pixels, long[] shape) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions(); OrtSession s = env.createSession(model.toString(), o);
             OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels), shape);
             OrtSession.Result r = s.run(Map.of("x", x))) {
            return flat((OnnxTensor) r.get(0));
        }
    }

    private static float[] flat(OnnxTensor t) {
        FloatBuffer b = t.getFloatBuffer();
        float[] a = new float[b.remaining()];
        b.get(a);
        return Arrays.copyOf(a, a.length);
    }
}
