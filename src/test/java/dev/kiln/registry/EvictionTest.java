package dev.kiln.registry;

import dev.kiln.runtime.TinyOnnx;
import dev.kiln.testing.PrivateRepository;
import dev.kiln.testing.Startup;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Room under ai.models.max-loaded-models=3, one place taken by a required model: a load that does
 * not fit unloads the least recently used idle model that is neither pinned nor required; when
 * nothing may go it answers 507 saying what stayed and why.
 */
@QuarkusTest
@TestProfile(EvictionTest.ThreePlaces.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EvictionTest {

    static final String SMALL = "{\"inputs\":[{\"name\":\"X\",\"datatype\":\"FP32\",\"shape\":[2],\"data\":[1.5,-2.0]}]}";

    public static class ThreePlaces implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, byte[]> models = new LinkedHashMap<>();
            Map<String, String> manifests = new LinkedHashMap<>();
            for (String n : List.of("lazy-a", "lazy-b", "lazy-c", "pinned-p", "eager-e")) {
                models.put(n, TinyOnnx.doubler(-1));
            }
            for (String n : List.of("lazy-a", "lazy-b", "lazy-c")) {
                manifests.put(n, "lazy_load: true\n");
            }
            manifests.put("pinned-p", "lazy_load: true\npinned: true\n");
            return Map.of("ai.models.repository", PrivateRepository.create("eviction-models", models, manifests),
                    "ai.models.lazy-load", "true", "ai.models.memory.max-loaded-models", "3");
        }
    }

    @Inject
    ModelRegistry registry;

    static int infer(String model) {
        return given().contentType("application/json").body(SMALL).post("/v2/models/" + model + "/infer").statusCode();
    }

    ModelState state(String model) {
        return registry.status(model).state();
    }

    @Test
    @Order(1)
    void theLeastRecentlyUsedIdleModelMakesRoom() throws Exception {
        Startup.awaitStarted();
        assertEquals(ModelState.READY, state("eager-e"));
        assertEquals(200, infer("lazy-a"));
        assertEquals(200, infer("lazy-b"));
        assertEquals(200, infer("lazy-a"));       // a is now more recent than b
        assertEquals(200, infer("lazy-c"));
        assertEquals(ModelState.AVAILABLE, state("lazy-b"), "b was the least recently used");
        assertTrue(registry.status("lazy-b").reason().contains("to make room for 'lazy-c'"), registry.status("lazy-b").reason());
        assertEquals(ModelState.READY, state("lazy-a"));
        assertEquals(ModelState.READY, state("lazy-c"));
        assertEquals(ModelState.READY, state("eager-e"), "required models are never evicted");
        String metrics = given().header("Accept", "text/plain; version=0.0.4").get("/q/metrics").asString();
        assertTrue(metrics.contains("ai_model_evictions_total{model=\"lazy-b\",reason=\"budget\",version=\"1\",} 1.0"), "counted by reason");
        assertEquals(200, infer("lazy-b"), "the evicted model loads again on its next request");
    }

    @Test
    @Order(2)
    void whenNothingMayGoTheLoadAnswers507WithWhy() throws Exception {
        Startup.awaitStarted();
        assertEquals(200, infer("pinned-p"));
        // Now: eager-e (required), pinned-p (pinned), and one lazy model, which a request holds.
        String lazy = List.of("lazy-a", "lazy-b", "lazy-c").stream().filter(m -> state(m) == ModelState.READY).findFirst().orElseThrow();
        try (Lease held = registry.acquire(lazy)) {
            String other = List.of("lazy-a", "lazy-b", "lazy-c").stream().filter(m -> !m.equals(lazy)).findFirst().orElseThrow();
            given().contentType("application/json").body(SMALL).post("/v2/models/" + other + "/infer").then().statusCode(507)
                    .body("error", containsString("ai.models.memory.max-loaded-models is 3"))
                    .body("error", containsString("eager-e (required for readiness)"))
                    .body("error", containsString("pinned-p (pinned)"))
                    .body("error", containsString(lazy + " (1 request(s) in flight)"));
            assertEquals(ModelState.AVAILABLE, state(other), "refused for room is not FAILED");
        }
        String other = List.of("lazy-a", "lazy-b", "lazy-c").stream().filter(m -> state(m) == ModelState.AVAILABLE).findFirst().orElseThrow();
        assertEquals(200, infer(other), "once the request is over, its model may go");
        assertEquals(ModelState.READY, state("pinned-p"), "pinned models stay");
    }
}
