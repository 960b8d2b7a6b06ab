package dev.kiln.install;

import dev.kiln.runtime.TinyOnnx;
import dev.kiln.testing.Admin;
import dev.kiln.testing.ModelServer;
import dev.kiln.testing.ModelServer.Mode;
import dev.kiln.testing.Startup;
import dev.kiln.testing.TestRepository;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Operators change models while 8 threads keep calling: no 500, no crash, no wrong answer. */
@QuarkusTest
@TestProfile(InstallTest.LocalSources.class)
class LifecycleUnderLoadTest {

    static ModelServer server;
    static final Map<String, Object> SMALL = Map.of("inputs", List.of(V2.input("X", "FP32", List.of(2L), List.of(1.5, -2.0))));

    @BeforeAll
    static void start() throws Exception {
        server = new ModelServer();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        for (String n : List.of("swap-me", "gone-soon", "off-soon", "side-1", "side-2")) {
            TestRepository.delete(n);
        }
    }

    /** Runs 8 threads calling {@code call} until {@code action} returns, plus a little after. */
    static Map<Integer, AtomicInteger> underLoad(Function<Integer, Integer> call, Runnable action) throws Exception {
        return underLoad(call, action, () -> true);
    }

    /**
     * As above, the load going on after the action until {@code seen} holds (at most 10 s): on a busy
     * machine half a second may pass without a request being answered.
     */
    static Map<Integer, AtomicInteger> underLoad(Function<Integer, Integer> call, Runnable action,
                                                 java.util.function.BooleanSupplier seen) throws Exception {
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            workers.add(pool.submit(() -> {
                while (!stop.get()) {
                    statuses.computeIfAbsent(call.apply(thread), k -> new AtomicInteger()).incrementAndGet();
                }
                return null;
            }));
        }
        try {
            Thread.sleep(300);
            action.run();
            Thread.sleep(500);
            long deadline = System.currentTimeMillis() + 10_000;
            while (!seen.getAsBoolean() && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
        } finally {
            stop.set(true);
            for (Future<?> w : workers) {
                w.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
        }
        return statuses;
    }

    static int infer(String model, Map<String, Object> body) {
        return given().contentType("application/json").body(body).post("/v2/models/" + model + "/infer").statusCode();
    }

    static Map<String, Object> install(String name, byte[] onnx, boolean replace) {
        return Map.of("name", name, "url", server.serve("/" + name + "-" + onnx.length + "-" + replace + ".onnx", onnx, Mode.NORMAL),
                "category", "image", "replace", replace);
    }

    @Test
    void installWhileOtherModelsServe() throws Exception {
        Startup.awaitStarted();
        Map<Integer, AtomicInteger> statuses = underLoad(t -> t % 2 == 0
                ? given().contentType("application/json").body(V2.helloWorld()).post("/v2/models/all-minilm-l6-v2-q/infer").statusCode()
                : infer("ppocr-cls", Map.of("inputs", List.of(V2.input("x", "FP32", List.of(1L, 3L, 48L, 16L), new float[3 * 48 * 16])))),
                () -> {
                    Admin.install(install("side-1", TinyOnnx.identity(TinyOnnx.FLOAT, -1), false), true).statusCode(200);
                    Admin.install(install("side-2", TinyOnnx.doubler(-1), false), true).statusCode(200);
                    Admin.uninstall("side-1").statusCode(200);
                    Admin.uninstall("side-2").statusCode(200);
                });
        assertEquals(List.of(200), List.copyOf(statuses.keySet()), "statuses " + statuses);
        assertTrue(statuses.get(200).get() > 20, "enough requests: " + statuses);
    }

    @Test
    void replaceUnderLoadFailsNoRequestAndSwitchesAnswers() throws Exception {
        Startup.awaitStarted();
        Admin.install(install("swap-me", TinyOnnx.doubler(-1), false), true).statusCode(200);
        ConcurrentLinkedQueue<String> answers = new ConcurrentLinkedQueue<>();
        Map<Integer, AtomicInteger> statuses = underLoad(t -> {
            Response r = given().contentType("application/json").body(SMALL).post("/v2/models/swap-me/infer");
            if (r.statusCode() == 200) {
                answers.add(r.jsonPath().getList("outputs[0].data").toString());
            }
            return r.statusCode();
        }, () -> Admin.install(install("swap-me", TinyOnnx.identity(TinyOnnx.FLOAT, -1), true), true).statusCode(200),
                () -> answers.contains("[1.5, -2.0]"));
        assertEquals(List.of(200), List.copyOf(statuses.keySet()), "zero failed requests: " + statuses);
        assertTrue(answers.stream().allMatch(a -> a.equals("[3.0, -4.0]") || a.equals("[1.5, -2.0]")), "only v1 or v2 answers");
        assertTrue(answers.contains("[3.0, -4.0]"), "v1 answered before the swap");
        assertTrue(answers.contains("[1.5, -2.0]"), "v2 answered after the swap");
        V2.infer("swap-me", SMALL).statusCode(200).body("outputs[0].data", org.hamcrest.Matchers.equalTo(List.of(1.5f, -2.0f)));
        Admin.uninstall("swap-me").statusCode(200);
    }

    @Test
    void uninstallUnderLoadEndsIn404AndTheNameCanBeReused() throws Exception {
        Startup.awaitStarted();
        byte[] model = TinyOnnx.identity(TinyOnnx.FLOAT, -1);
        Admin.install(install("gone-soon", model, false), true).statusCode(200);
        Map<Integer, AtomicInteger> statuses = underLoad(t -> infer("gone-soon", SMALL),
                () -> Admin.uninstall("gone-soon").statusCode(200));
        assertTrue(statuses.keySet().stream().allMatch(s -> s == 200 || s == 404 || s == 409), "statuses " + statuses);
        assertTrue(statuses.containsKey(200) && statuses.containsKey(404), "served, then gone: " + statuses);
        given().get("/api/v1/setup/ai-models/telemetry").then().body("models.gone-soon", org.hamcrest.Matchers.nullValue());
        given().get("/q/metrics").then().body(org.hamcrest.Matchers.not(org.hamcrest.Matchers.containsString("model=\"gone-soon\"")));
        Admin.install(install("gone-soon", model, false), true).statusCode(200);
        V2.infer("gone-soon", SMALL).statusCode(200);
        Admin.uninstall("gone-soon").statusCode(200);
    }

    @Test
    void disableUnderLoadRefusesWith409ThenEnableServesAgain() throws Exception {
        Startup.awaitStarted();
        Admin.install(install("off-soon", TinyOnnx.identity(TinyOnnx.FLOAT, -1), false), true).statusCode(200);
        Map<Integer, AtomicInteger> statuses = underLoad(t -> infer("off-soon", SMALL),
                () -> Admin.enable("off-soon", false).statusCode(200));
        assertTrue(statuses.keySet().stream().allMatch(s -> s == 200 || s == 409), "statuses " + statuses);
        assertTrue(statuses.containsKey(409), "refused after disabling: " + statuses);
        V2.infer("off-soon", SMALL).statusCode(409).body("error", org.hamcrest.Matchers.containsString("disabled"));
        Admin.enable("off-soon", true).statusCode(200).body("state", org.hamcrest.Matchers.equalTo("READY"));
        V2.infer("off-soon", SMALL).statusCode(200);
        Admin.uninstall("off-soon").statusCode(200);
    }
}
