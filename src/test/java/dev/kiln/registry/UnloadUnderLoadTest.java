package dev.kiln.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.testing.DirectOrt;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sessions are closed only when no request runs them: 8 threads infer while another unloads and
 * reloads the same model for 20 s. A crash here would be a JVM crash, not a failed assertion.
 */
@QuarkusTest
class UnloadUnderLoadTest {

    private static final String MODEL = "all-minilm-l6-v2-q";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Inject
    ModelRegistry registry;

    @Test
    void inferWhileUnloadingAndReloadingForTwentySeconds() throws Exception {
        float[][][] expected = DirectOrt.miniLmHelloWorld();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        AtomicLong wrong = new AtomicLong();
        AtomicInteger cycles = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(9);
        try {
            List<Future<?>> work = new java.util.ArrayList<>();
            for (int t = 0; t < 8; t++) {
                work.add(pool.submit(() -> {
                    while (System.nanoTime() < end) {
                        Response r = given().contentType("application/json").body(V2.helloWorld())
                                .post("/v2/models/" + MODEL + "/infer");
                        statuses.computeIfAbsent(r.statusCode(), k -> new AtomicInteger()).incrementAndGet();
                        if (r.statusCode() == 200 && !matches(r.asString(), expected)) {
                            wrong.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            work.add(pool.submit(() -> {
                while (System.nanoTime() < end) {
                    int u = given().post("/v2/repository/models/" + MODEL + "/unload").statusCode();
                    int l = given().post("/v2/repository/models/" + MODEL + "/load").statusCode();
                    assertTrue(u == 200 || u == 409, "unload answered " + u);
                    assertEquals(200, l, "load");
                    cycles.incrementAndGet();
                }
                return null;
            }));
            for (Future<?> f : work) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("unload-under-load: statuses %s, %d unload/load cycles, %d wrong answers%n", statuses, cycles.get(), wrong.get());
        assertTrue(statuses.keySet().stream().allMatch(s -> s == 200 || s == 503), "statuses " + statuses);
        assertTrue(statuses.get(200).get() > 50, "enough answers succeeded: " + statuses);
        assertTrue(cycles.get() > 10, "enough unload/load cycles: " + cycles.get());
        assertEquals(0, wrong.get(), "every 200 carried the right numbers");
        assertEquals(0, registry.status(MODEL).inFlight(), "no lease leaked");
        assertEquals(ModelState.READY, registry.status(MODEL).state());
    }

    private static boolean matches(String body, float[][][] expected) {
        try {
            JsonNode data = MAPPER.readTree(body).get("outputs").get(0).get("data");
            for (int i = 0; i < 4 * 384; i += 97) {
                if (Math.abs(expected[0][i / 384][i % 384] - data.get(i).asDouble()) > 1e-4) {
                    return false;
                }
            }
            return data.size() == 4 * 384;
        } catch (Exception e) {
            return false;
        }
    }
}
