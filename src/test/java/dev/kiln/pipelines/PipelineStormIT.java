package dev.kiln.pipelines;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.ocr.OcrScore;
import dev.kiln.ocr.OcrTestImages;
import dev.kiln.testing.PackagedKiln;
import dev.kiln.testing.RawHttp;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ppocr pipeline on the packaged jar with room for three models, every model lazy (so any may be
 * evicted for another): its models are not evicted while a request runs on them, and a storm of
 * OCR and MiniLM requests ends with no 5xx but 503 and 507 and no session left open.
 */
class PipelineStormIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String MINILM = "all-minilm-l6-v2-q";
    static final byte[] HELLO = ("{\"inputs\": [{\"name\": \"input_ids\", \"shape\": [1, 4], \"datatype\": \"INT64\", \"data\": [101, 7592, 2088, 102]},"
            + " {\"name\": \"attention_mask\", \"shape\": [1, 4], \"datatype\": \"INT64\", \"data\": [1, 1, 1, 1]},"
            + " {\"name\": \"token_type_ids\", \"shape\": [1, 4], \"datatype\": \"INT64\", \"data\": [0, 0, 0, 0]}]}").getBytes();

    /** The demo repository with every model lazy: with lazy loading on, none is required, so each may be evicted. */
    static PackagedKiln start(String name) throws Exception {
        Path repo = PackagedKiln.copyOfDemoRepository(name);
        try (Stream<Path> manifests = Files.walk(repo)) {
            for (Path m : manifests.filter(p -> p.getFileName().toString().equals("model.yaml")).toList()) {
                Files.writeString(m, Files.readString(m).replace("lazy_load: false", "lazy_load: true"));
            }
        }
        return PackagedKiln.start(repo, Map.of("ai.models.lazy-load", "true", "ai.models.memory.max-loaded-models", "3",
                "quarkus.shutdown.delay", "0s"), List.of("-Xmx512m"));
    }

    static RawHttp.Reply ocr(PackagedKiln kiln, byte[] image) throws Exception {
        return RawHttp.send(kiln.port, "POST", "/v1/ocr", Map.of("Content-Type", image[0] == (byte) 0x89 ? "image/png" : "image/jpeg"), image);
    }

    static RawHttp.Reply minilm(PackagedKiln kiln) throws Exception {
        return RawHttp.send(kiln.port, "POST", "/v2/models/" + MINILM + "/infer", Map.of("Content-Type", "application/json"), HELLO);
    }

    /** A long page: forty lines to read, so a request runs for seconds. */
    static OcrTestImages.TestImage longPage() {
        List<OcrTestImages.LineSpec> lines = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            lines.add(new OcrTestImages.LineSpec("Line " + i + " of a long receipt: item " + (1000 + 37 * i) + " costs " + (i * 3 + 1) + ".99",
                    "DejaVu Sans", 22, false));
        }
        return OcrTestImages.render("long", "png", 900, 3, lines);
    }

    @Test
    void aPipelinesModelsAreNotEvictedWhileARequestRunsOnThem() throws Exception {
        try (PackagedKiln kiln = start("pipeline-leases-models")) {
            assertEquals(200, ocr(kiln, PipelineTest.receipt().bytes()).status(), "ppocr loads its three models");
            OcrTestImages.TestImage page = longPage();
            CompletableFuture<RawHttp.Reply> running = CompletableFuture.supplyAsync(() -> {
                try {
                    return ocr(kiln, page.bytes());
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            awaitLeased(kiln);
            RawHttp.Reply refused = minilm(kiln);
            boolean stillRunning = !running.isDone();
            assertEquals(507, refused.status(), refused.body());
            assertTrue(stillRunning, "the OCR request was still running when MiniLM was refused");
            assertTrue(refused.body().contains("request(s) in flight"), refused.body());
            RawHttp.Reply read = running.get(300, TimeUnit.SECONDS);
            assertEquals(200, read.status(), read.body());
            assertEquals(40, JSON.readTree(read.body()).get("lines").size(), "every line of the page read");
            assertEquals(200, minilm(kiln).status(), "once the pipeline is done, one of its models is evicted for MiniLM");
            JsonNode loaded = quiet(kiln);
            assertEquals(readyIn(loaded), loaded.get("sessions_open").asLong());
        }
    }

    /** Until the request holds a lease on each of ppocr's three models (their in_flight counts). */
    private static void awaitLeased(PackagedKiln kiln) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            JsonNode status = JSON.readTree(kiln.get("/api/v1/setup/models/status").body());
            int leased = 0;
            for (JsonNode m : status.get("installed_models")) {
                if (Set.of("ppocr-v4-det", "ppocr-cls", "ppocr-v4-rec").contains(m.get("name").asText()) && m.get("in_flight").asInt() > 0) {
                    leased++;
                }
            }
            if (leased == 3) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the OCR request never held its three models");
    }

    @Test
    void aHundredMixedRequestsEndWithNo5xxBut503Or507AndNoSessionLeft() throws Exception {
        try (PackagedKiln kiln = start("pipeline-storm-models")) {
            List<OcrTestImages.TestImage> images = OcrTestImages.benchSet(6);
            Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
            List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
            ExecutorService clients = Executors.newFixedThreadPool(8);
            List<Future<?>> work = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                int n = i;
                work.add(clients.submit(() -> {
                    boolean text = n % 2 == 1;
                    OcrTestImages.TestImage image = images.get(n % images.size());
                    RawHttp.Reply r = text ? minilm(kiln) : ocr(kiln, image.bytes());
                    String kind = (text ? "minilm " : "ocr ") + r.status();
                    outcomes.computeIfAbsent(kind, k -> new AtomicInteger()).incrementAndGet();
                    if (r.status() >= 500 && r.status() != 503 && r.status() != 507 || r.status() >= 400 && r.status() < 500) {
                        problems.add(kind + " " + r.body());
                    } else if (!text && r.status() == 200) {
                        List<String> read = new ArrayList<>();
                        JSON.readTree(r.body()).get("lines").forEach(l -> read.add(OcrScore.normalise(l.get("text").asText())));
                        if (read.isEmpty()) {
                            problems.add("no line read in " + image.name());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get(600, TimeUnit.SECONDS);
            }
            clients.shutdown();
            JsonNode loaded = quiet(kiln);
            System.out.printf("pipeline storm: %s; sessions open %d for %d READY models%n", new TreeMap<>(outcomes),
                    loaded.get("sessions_open").asLong(), readyIn(loaded));
            assertTrue(problems.isEmpty(), problems.toString());
            assertTrue(outcomes.getOrDefault("ocr 200", new AtomicInteger()).get() > 0, "some OCR answered: " + outcomes);
            assertTrue(outcomes.getOrDefault("minilm 200", new AtomicInteger()).get() > 0, "some MiniLM answered: " + outcomes);
            assertEquals(readyIn(loaded), loaded.get("sessions_open").asLong(), "open sessions == READY models");
            assertTrue(kiln.process.isAlive());
            assertFalse(Files.readString(PackagedKiln.log(kiln.port)).contains("OutOfMemoryError"));
        }
    }

    /** Until nothing runs or moves and the open sessions match the READY models (30 s at most). */
    static JsonNode quiet(PackagedKiln kiln) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) {
            JsonNode loaded = JSON.readTree(kiln.get("/api/v1/setup/ai-models/loaded").body());
            boolean busy = false;
            for (JsonNode m : loaded.get("models")) {
                busy |= m.get("in_flight").asInt() > 0 || !m.get("state").asText().equals("READY");
            }
            if (!busy && loaded.get("sessions_open").asLong() == readyIn(loaded) || System.currentTimeMillis() > deadline) {
                return loaded;
            }
            Thread.sleep(100);
        }
    }

    static long readyIn(JsonNode loaded) {
        long ready = 0;
        for (JsonNode m : loaded.get("models")) {
            ready += m.get("state").asText().equals("READY") ? 1 : 0;
        }
        return ready;
    }
}
