package dev.kiln.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.runtime.TinyOnnx;
import dev.kiln.testing.ModelServer;
import dev.kiln.testing.PackagedKiln;
import dev.kiln.testing.Processes;
import dev.kiln.testing.RawHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Three Kiln processes (the packaged jar) on one repository directory, as three replicas on one
 * ReadWriteMany volume. A and B watch the repository (inotify) and poll; C only polls, as it would
 * on NFS, where the watch does not see other hosts' changes. Nobody calls rescan.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetIT {

    static final String TOKEN = "fleet";
    static final ObjectMapper JSON = new ObjectMapper();
    /** The documented bound: the poll interval (5 s, the default) plus the time to open the new version. */
    static final long POLL_MILLIS = 5_000;
    static final long BOUND_MILLIS = POLL_MILLIS + 5_000;
    static final float[] X = {1.5f, -2f, 0.25f};
    static final float[] V1 = {3f, -4f, 0.5f};
    static final Set<Integer> INFER_OK = Set.of(200, 404, 409, 503);
    static final Set<Integer> ADMIN_OK = Set.of(200, 202, 404, 409, 503);

    Path repo;
    Path sources;
    final PackagedKiln[] replicas = new PackagedKiln[3];
    final String[] names = {"A", "B", "C"};

    @BeforeAll
    void start() throws Exception {
        repo = Path.of("target/fleet-models").toAbsolutePath();
        PackagedKiln.deleteTree(repo);
        Files.createDirectories(repo.resolve("fleet-stable"));
        Files.write(repo.resolve("fleet-stable/model.onnx"), TinyOnnx.doubler(-1));
        sources = Files.createDirectories(Path.of("target/fleet-sources").toAbsolutePath());
        Files.write(sources.resolve("v1.onnx"), TinyOnnx.doubler(-1));
        Files.write(sources.resolve("v2.onnx"), TinyOnnx.identity(TinyOnnx.FLOAT, -1));
        ExecutorService starting = Executors.newFixedThreadPool(3);
        List<Future<PackagedKiln>> started = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int port = Processes.freePort();
            boolean watch = i < 2;
            started.add(starting.submit(() -> launch(port, watch)));
        }
        for (int i = 0; i < 3; i++) {
            replicas[i] = started.get(i).get(200, TimeUnit.SECONDS);
        }
        starting.shutdown();
    }

    PackagedKiln launch(int port, boolean watch) throws Exception {
        return PackagedKiln.start(repo, port, Map.of("ai.models.admin-token", TOKEN, "ai.models.install.file-roots", sources.toString(),
                "ai.models.install.allow-http", "true", "ai.models.install.allow-private-networks", "true",
                "ai.models.repository-watch", String.valueOf(watch), "quarkus.shutdown.delay", "0s"), List.of("-Xmx256m"));
    }

    @AfterAll
    void stop() throws Exception {
        for (PackagedKiln k : replicas) {
            if (k != null) {
                k.close();
            }
        }
    }

    // ---- requests ----

    static RawHttp.Reply admin(int port, String path, String json) throws IOException {
        return RawHttp.send(port, "POST", path, Map.of("Authorization", "Bearer " + TOKEN, "Content-Type", "application/json"),
                json.getBytes());
    }

    static RawHttp.Reply infer(int port, String model) throws IOException {
        byte[] body = JSON.writeValueAsBytes(Map.of("inputs", List.of(Map.of("name", "X", "datatype", "FP32", "shape", List.of(3), "data", X))));
        return RawHttp.send(port, "POST", "/v2/models/" + model + "/infer", Map.of("Content-Type", "application/json"), body);
    }

    String install(String name, String version, boolean replace) {
        return "{\"name\":\"" + name + "\",\"url\":\"" + sources.resolve(version + ".onnx").toUri() + "\",\"category\":\"text\",\"replace\":" + replace + "}";
    }

    /** The floats of a 200 answer: V1 (doubler) or X (identity, v2); anything else is wrong. */
    static float[] answer(String body) throws IOException {
        JsonNode data = JSON.readTree(body).get("outputs").get(0).get("data");
        float[] out = new float[data.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = data.get(i).floatValue();
        }
        return out;
    }

    static boolean is(float[] got, float[] expected) {
        return java.util.Arrays.equals(got, expected);
    }

    /** Milliseconds until the replica answers the model with {@code expected} (404 when null), or -1 past the deadline. */
    static long untilServed(int port, String model, float[] expected, long deadlineMillis) throws Exception {
        long start = System.nanoTime();
        while ((System.nanoTime() - start) / 1_000_000 < deadlineMillis) {
            RawHttp.Reply r = infer(port, model);
            if (expected == null ? r.status() == 404 : r.status() == 200 && is(answer(r.body()), expected)) {
                return (System.nanoTime() - start) / 1_000_000;
            }
            Thread.sleep(50);
        }
        return -1;
    }

    // ---- tests ----

    /** An install through A is served by B (watch) and C (polling only) within the bound, with no admin call to them. */
    @Test
    @Order(1)
    void anInstallThroughOneReplicaIsServedByTheOthers() throws Exception {
        RawHttp.Reply r = admin(replicas[0].port, "/api/v1/setup/ai-models/install?wait=true", install("conv-x", "v1", false));
        assertEquals(200, r.status(), r.body());
        long b = untilServed(replicas[1].port, "conv-x", V1, BOUND_MILLIS + 10_000);
        long c = untilServed(replicas[2].port, "conv-x", V1, BOUND_MILLIS + 10_000);
        r = admin(replicas[0].port, "/api/v1/setup/ai-models/uninstall", "{\"name\":\"conv-x\"}");
        assertEquals(200, r.status(), r.body());
        long bGone = untilServed(replicas[1].port, "conv-x", null, BOUND_MILLIS + 10_000);
        long cGone = untilServed(replicas[2].port, "conv-x", null, BOUND_MILLIS + 10_000);
        System.out.printf("fleet: install on A served by B after %d ms (watch), by C after %d ms (poll); uninstall seen by B after %d ms, C after %d ms%n",
                b, c, bGone, cGone);
        assertTrue(b >= 0 && b <= 3_000, "B (watch) serves within 3 s: " + b);
        assertTrue(c >= 0 && c <= BOUND_MILLIS, "C (poll) serves within the bound: " + c);
        assertTrue(bGone >= 0 && bGone <= 3_000 && cGone >= 0 && cGone <= BOUND_MILLIS, "uninstall followed: " + bGone + ", " + cGone);
    }

    /** A settings change through A reaches B and C by itself within the bound; a second change through C merges with it. */
    @Test
    @Order(5)
    void settingsChangedThroughOneReplicaReachTheOthers() throws Exception {
        RawHttp.Reply r = admin(replicas[0].port, "/api/v1/setup/config", "{\"warmup_iterations\": 3}");
        assertEquals(200, r.status(), r.body());
        long start = System.nanoTime();
        for (PackagedKiln k : replicas) {
            while (JSON.readTree(k.get("/api/v1/setup/config").body()).get("warmup_iterations").asInt() != 3
                    && System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(BOUND_MILLIS)) {
                Thread.sleep(50);
            }
        }
        long followed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        r = admin(replicas[2].port, "/api/v1/setup/config", "{\"telemetry_idle_after\": \"2h\"}");
        assertEquals(200, r.status(), r.body());
        for (PackagedKiln k : replicas) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BOUND_MILLIS);
            JsonNode c = JSON.readTree(k.get("/api/v1/setup/config").body());
            while (!c.get("telemetry_idle_after").asText().equals("2h") && System.nanoTime() < deadline) {
                Thread.sleep(50);
                c = JSON.readTree(k.get("/api/v1/setup/config").body());
            }
            assertEquals(3, c.get("warmup_iterations").asInt(), "C's change kept A's: " + c);
            assertEquals("2h", c.get("telemetry_idle_after").asText(), c.toString());
        }
        System.out.printf("fleet: a settings change through A in force on all three after %d ms%n", followed);
        assertTrue(followed <= BOUND_MILLIS, "within the bound: " + followed);
    }

    /** A and B install one name at the same moment: one 200, the other 409, and the files are exactly the winner's. */
    @Test
    @Order(2)
    void twoReplicasInstallingOneNameAtOnceOneWins() throws Exception {
        ExecutorService two = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 4; round++) {
                CyclicBarrier together = new CyclicBarrier(2);
                String[] version = round % 2 == 0 ? new String[]{"v1", "v2"} : new String[]{"v2", "v1"};
                List<Future<RawHttp.Reply>> replies = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    int who = i;
                    replies.add(two.submit(() -> {
                        together.await();
                        return admin(replicas[who].port, "/api/v1/setup/ai-models/install?wait=true", install("dup-x", version[who], false));
                    }));
                }
                RawHttp.Reply a = replies.get(0).get(60, TimeUnit.SECONDS);
                RawHttp.Reply b = replies.get(1).get(60, TimeUnit.SECONDS);
                List<Integer> statuses = new ArrayList<>(List.of(a.status(), b.status()));
                Collections.sort(statuses);
                assertEquals(List.of(200, 409), statuses, "round " + round + ": " + a.body() + " | " + b.body());
                String winner = a.status() == 200 ? version[0] : version[1];
                assertEquals(ModelServer.sha256(Files.readAllBytes(sources.resolve(winner + ".onnx"))),
                        ModelServer.sha256(Files.readAllBytes(repo.resolve("dup-x/model.onnx"))), "the files are the winner's");
                assertTrue(Files.readString(repo.resolve("dup-x/model.yaml")).contains(winner + ".onnx"), "its manifest too");
                int loser = a.status() == 200 ? 1 : 0;
                float[] expected = winner.equals("v1") ? V1 : X;
                assertTrue(untilServed(replicas[loser].port, "dup-x", expected, BOUND_MILLIS) >= 0, "the loser serves the winner's version");
                assertEquals(200, admin(replicas[loser].port, "/api/v1/setup/ai-models/uninstall", "{\"name\":\"dup-x\"}").status());
                for (PackagedKiln k : replicas) {
                    assertTrue(untilServed(k.port, "dup-x", null, BOUND_MILLIS + 5_000) >= 0, "uninstall followed");
                }
            }
        } finally {
            two.shutdownNow();
        }
        assertEquals(List.of(), leftovers(), "nothing half-installed");
    }

    /**
     * What a replica killed with -9 in the middle of a change leaves, made by hand with no lock held
     * (as after the kill): a model between a replace's two renames, an uninstall's half-deleted
     * directory, a half-written manifest, an abandoned staging directory. No replica ever stops
     * serving the model, and the leftovers are put right within the bound by whichever replica holds
     * the name next, with no call to any of them.
     */
    @Test
    @Order(3)
    void whatADeadWriterLeftIsPutRightByTheOthers() throws Exception {
        assertEquals(200, admin(replicas[0].port, "/api/v1/setup/ai-models/install?wait=true", install("crash-x", "v1", false)).status());
        for (PackagedKiln k : replicas) {
            assertTrue(untilServed(k.port, "crash-x", V1, BOUND_MILLIS) >= 0);
        }
        // The writer holds the names' locks while it changes them, as a replica does; its death lets go of them.
        try (var x = dev.kiln.files.LockFile.acquire(dev.kiln.files.RepositoryLocks.ofName(repo, "crash-x"), java.time.Duration.ofSeconds(10));
             var y = dev.kiln.files.LockFile.acquire(dev.kiln.files.RepositoryLocks.ofName(repo, "crash-y"), java.time.Duration.ofSeconds(10))) {
            Files.writeString(repo.resolve("crash-x/.kiln-tmp-model.yaml-0b8c1f2e"), "name: cra");
            Files.move(repo.resolve("crash-x"), repo.resolve(".kiln-replaced-crash-x"));
            Path halfDeleted = Files.createDirectories(repo.resolve(".kiln-tmp-uninstall-crash-y-" + java.util.UUID.randomUUID()));
            Files.write(halfDeleted.resolve("model.onnx"), TinyOnnx.doubler(-1));
        }
        Path staging = Files.createDirectories(repo.resolve(".kiln-tmp-install-dead-" + java.util.UUID.randomUUID() + "/model"));
        Files.write(staging.resolve("model.onnx.part"), new byte[1000]);
        long start = System.nanoTime();
        int refused = 0;
        while (!leftovers().isEmpty() && System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(3 * BOUND_MILLIS)) {
            for (PackagedKiln k : replicas) {
                RawHttp.Reply r = infer(k.port, "crash-x");
                refused += r.status() == 200 && is(answer(r.body()), V1) ? 0 : 1;
            }
        }
        long cleaned = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        System.out.printf("fleet: a dead writer's leftovers put right after %d ms; %d refused answers meanwhile%n", cleaned, refused);
        assertEquals(List.of(), leftovers());
        assertTrue(cleaned <= BOUND_MILLIS, "within the bound: " + cleaned);
        assertEquals(0, refused, "the model was served throughout");
        assertTrue(Files.isRegularFile(repo.resolve("crash-x/model.onnx")), "the set-aside version is back");
        for (PackagedKiln k : replicas) {
            assertEquals(200, infer(k.port, "crash-x").status());
        }
        assertEquals(200, admin(replicas[1].port, "/api/v1/setup/ai-models/uninstall", "{\"name\":\"crash-x\"}").status());
    }

    /**
     * A minute of it: clients infer on all three replicas while A installs, replaces, disables,
     * enables and uninstalls two names, B does the same to the same names at the same moments, and C
     * (installing too, a slow download among them) is killed with -9 and restarted twice. Every
     * answer right or a documented refusal; afterwards the three agree with the disk within the
     * bound, nothing half-made is left, and each replica's open sessions are its READY models.
     */
    @Test
    @Order(4)
    void aMinuteOfFleetChurn() throws Exception {
        long seconds = 60;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger wrong = new AtomicInteger();
        ModelServer slowSource = new ModelServer();
        // 11 MB at 4 KiB every 50 ms: still downloading when C is killed.
        String slowUrl = slowSource.serve("/slow.onnx", Files.readAllBytes(Path.of("target/demo-models/ppocr-v4-rec/model.onnx")),
                ModelServer.Mode.SLOW);
        ExecutorService pool = Executors.newFixedThreadPool(10);
        List<Future<?>> work = new ArrayList<>();
        String[] churn = {"churn-a", "churn-b"};
        for (int c = 0; c < 6; c++) {
            Random random = new Random(c);
            work.add(pool.submit(() -> {
                while (System.nanoTime() < end) {
                    int who = random.nextInt(3);
                    String model = random.nextInt(4) == 0 ? "fleet-stable" : churn[random.nextInt(2)];
                    RawHttp.Reply r;
                    try {
                        r = infer(replicas[who].port, model);
                    } catch (IOException down) {
                        count(outcomes, who == 2 ? "infer C down" : "infer " + names[who] + " unreachable");
                        if (who != 2) {
                            problems.add(names[who] + " unreachable: " + down);
                        }
                        Thread.sleep(20);
                        continue;
                    }
                    count(outcomes, "infer " + r.status());
                    if (!INFER_OK.contains(r.status())) {
                        problems.add(names[who] + " " + model + " -> " + r.status() + " " + r.body());
                    } else if (r.status() == 200) {
                        float[] got = answer(r.body());
                        boolean right = model.equals("fleet-stable") ? is(got, V1) : is(got, V1) || is(got, X);
                        if (!right) {
                            wrong.incrementAndGet();
                            problems.add("wrong answer from " + names[who] + " " + model + ": " + r.body());
                        }
                    }
                }
                return null;
            }));
        }
        CyclicBarrier atOnce = new CyclicBarrier(2);
        for (int w = 0; w < 2; w++) {
            int who = w;
            Random random = new Random(100 + w);
            work.add(pool.submit(() -> {
                Random same = new Random(7);
                while (System.nanoTime() < end) {
                    String name = churn[same.nextInt(2)];
                    try {
                        atOnce.await(30, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        break;
                    }
                    String[] op = operation(random, name);
                    RawHttp.Reply r = admin(replicas[who].port, op[0], op[1]);
                    count(outcomes, "admin " + r.status());
                    if (!ADMIN_OK.contains(r.status())) {
                        problems.add(names[who] + " " + op[0] + " " + op[1] + " -> " + r.status() + " " + r.body());
                    }
                }
                atOnce.reset();
                return null;
            }));
        }
        work.add(pool.submit(() -> {
            Random random = new Random(200);
            for (long killAt : new long[]{15, 35}) {
                long until = end - TimeUnit.SECONDS.toNanos(seconds - killAt);
                while (System.nanoTime() < until) {
                    String[] op = operation(random, churn[random.nextInt(2)]);
                    try {
                        RawHttp.Reply r = admin(replicas[2].port, op[0], op[1]);
                        count(outcomes, "admin C " + r.status());
                        if (!ADMIN_OK.contains(r.status())) {
                            problems.add("C " + op[0] + " " + op[1] + " -> " + r.status() + " " + r.body());
                        }
                    } catch (IOException e) {
                        problems.add("C unreachable while up: " + e);
                    }
                }
                // A download under way when the kill lands: its staging directory is left behind.
                admin(replicas[2].port, "/api/v1/setup/ai-models/install",
                        "{\"name\":\"churn-slow\",\"url\":\"" + slowUrl + "\",\"category\":\"text\"}");
                Thread.sleep(500);
                replicas[2].process.destroyForcibly();
                replicas[2].process.waitFor(30, TimeUnit.SECONDS);
                count(outcomes, "C killed");
                replicas[2] = launch(replicas[2].port, false);
                count(outcomes, "C restarted");
            }
            return null;
        }));
        for (Future<?> f : work) {
            f.get(seconds + 240, TimeUnit.SECONDS);
        }
        pool.shutdown();
        slowSource.close();

        long converged = converge();
        List<JsonNode> loaded = new ArrayList<>();
        for (PackagedKiln k : replicas) {
            loaded.add(k.settledResidents());
        }
        System.out.printf("fleet churn: %d s, outcomes %s, wrong %d, converged %d ms after the last change, sessions %s%n",
                seconds, new TreeMap<>(outcomes), wrong.get(), converged,
                loaded.stream().map(l -> l.get("replica").asText() + " " + l.get("sessions_open").asInt() + "/" + PackagedKiln.readyIn(l)).toList());
        Files.write(Path.of("target/fleet-problems.txt"), problems);
        assertTrue(problems.isEmpty(), problems.size() + " problem(s): " + problems.stream().limit(8).toList());
        assertEquals(0, wrong.get());
        assertTrue(converged >= 0 && converged <= BOUND_MILLIS, "every replica's view equals the disk within the bound: " + converged);
        assertEquals(List.of(), leftovers(), "no half-installed directory or temporary file remains");
        for (JsonNode l : loaded) {
            assertEquals(PackagedKiln.readyIn(l), l.get("sessions_open").asLong(), "open sessions equal READY models on " + l.get("replica"));
        }
        assertEquals(2, outcomes.get("C restarted").get());
        assertTrue(outcomes.getOrDefault("infer 200", new AtomicInteger()).get() > 300, "enough answers: " + outcomes);
    }

    private String[] operation(Random random, String name) {
        return switch (random.nextInt(6)) {
            case 0, 1 -> new String[]{"/api/v1/setup/ai-models/install?wait=true", install(name, random.nextBoolean() ? "v1" : "v2", random.nextBoolean())};
            case 2 -> new String[]{"/api/v1/setup/ai-models/enable", "{\"name\":\"" + name + "\",\"enabled\":false}"};
            case 3, 4 -> new String[]{"/api/v1/setup/ai-models/enable", "{\"name\":\"" + name + "\",\"enabled\":true}"};
            default -> new String[]{"/api/v1/setup/ai-models/uninstall", "{\"name\":\"" + name + "\"}"};
        };
    }

    private static void count(Map<String, AtomicInteger> outcomes, String key) {
        outcomes.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    }

    /** Milliseconds until every replica lists exactly the models on disk, each enabled as its model.yaml says; -1 past 3 bounds. */
    private long converge() throws Exception {
        long start = System.nanoTime();
        String lastDiff = "";
        while ((System.nanoTime() - start) / 1_000_000 < 3 * BOUND_MILLIS) {
            Map<String, Boolean> disk = disk();
            boolean same = true;
            for (PackagedKiln k : replicas) {
                Map<String, Boolean> view = view(k);
                if (!view.equals(disk)) {
                    same = false;
                    lastDiff = k.port + ": " + view + " vs disk " + disk;
                }
            }
            if (same) {
                return (System.nanoTime() - start) / 1_000_000;
            }
            Thread.sleep(100);
        }
        System.out.println("fleet: not converged: " + lastDiff);
        return -1;
    }

    private Map<String, Boolean> disk() throws IOException {
        Map<String, Boolean> out = new TreeMap<>();
        try (Stream<Path> dirs = Files.list(repo)) {
            for (Path d : dirs.filter(d -> Files.isRegularFile(d.resolve("model.onnx")) && !d.getFileName().toString().startsWith(".")).toList()) {
                Path yaml = d.resolve("model.yaml");
                out.put(d.getFileName().toString(), !Files.exists(yaml) || !Files.readString(yaml).contains("enabled: false"));
            }
        }
        return out;
    }

    private static Map<String, Boolean> view(PackagedKiln k) throws Exception {
        Map<String, Boolean> out = new TreeMap<>();
        for (JsonNode m : JSON.readTree(k.get("/api/v1/setup/models/status").body()).get("installed_models")) {
            out.put(m.get("name").asText(), m.get("enabled").asBoolean());
        }
        return out;
    }

    /** The leftovers on disk now; a walk that meets one the replicas are removing at that moment walks again. */
    private List<String> leftovers() throws IOException {
        while (true) {
            try (Stream<Path> all = Files.walk(repo)) {
                return all.map(p -> repo.relativize(p).toString())
                        .filter(n -> !n.startsWith(".kiln-locks") && (n.contains(".kiln-tmp-") || n.contains(".kiln-replaced-"))).toList();
            } catch (java.io.UncheckedIOException e) {
                if (!(e.getCause() instanceof java.nio.file.NoSuchFileException)) {
                    throw e;
                }
            }
        }
    }

}
