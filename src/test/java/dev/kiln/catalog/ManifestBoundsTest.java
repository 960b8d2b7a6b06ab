package dev.kiln.catalog;

import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelState;
import dev.kiln.runtime.TinyOnnx;
import dev.kiln.testing.PrivateRepository;
import dev.kiln.testing.Startup;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.BufferedWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17's manifest findings against the running service: {@code warmup.iterations: 1000000000}
 * kept /q/health/started DOWN for good, {@code intra_op_threads: 100000} grew the process by gigabytes
 * on the one loader thread, {@code keep_alive: "-5h"} was taken silently, and a 20 MB model.yaml held
 * a rescan for minutes. Each such model is now FAILED naming the field; the others serve.
 */
@QuarkusTest
@TestProfile(ManifestBoundsTest.HostileManifests.class)
class ManifestBoundsTest {

    static final String SMALL = "{\"inputs\":[{\"name\":\"X\",\"datatype\":\"FP32\",\"shape\":[2],\"data\":[1.5,-2.0]}]}";

    public static class HostileManifests implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, byte[]> models = new LinkedHashMap<>();
            Map<String, String> manifests = new LinkedHashMap<>();
            for (String n : new String[]{"good-eager", "good-lazy", "many-iterations", "many-threads", "negative-keep-alive", "huge-warmup"}) {
                models.put(n, TinyOnnx.doubler(-1));
            }
            manifests.put("good-lazy", "lazy_load: true\nkeep_alive: 5m\nwarmup:\n  iterations: 3\n");
            manifests.put("many-iterations", "warmup:\n  iterations: 1000000000\n");
            // Lazy, so the code before the fix did not start 100,000 threads at startup on a shared machine.
            manifests.put("many-threads", "lazy_load: true\nexecution:\n  intra_op_threads: 100000\n");
            manifests.put("negative-keep-alive", "lazy_load: true\nkeep_alive: \"-5h\"\n");
            manifests.put("huge-warmup", "warmup:\n  shapes:\n    X: [100000, 100000]\n");
            return Map.of("ai.models.repository", PrivateRepository.create("manifest-bounds-models", models, manifests),
                    "ai.models.lazy-load", "true", "ai.models.registry.arrival-grace", "10s");
        }
    }

    @Inject
    ModelRegistry registry;

    @Inject
    ModelRepository repository;

    private void failedNaming(String model, String field, String range) {
        assertEquals(ModelState.FAILED, registry.status(model).state(), model + ": " + registry.status(model).reason());
        String reason = registry.status(model).reason();
        assertTrue(reason.contains(field) && reason.contains(range), model + ": " + reason);
    }

    @Test
    void outOfRangeNumbersFailTheirModelAndStartupFinishes() throws Exception {
        Startup.awaitStarted();
        failedNaming("many-iterations", "warmup.iterations is 1000000000", "allowed 0 to 100");
        failedNaming("many-threads", "execution.intra_op_threads is 100000", "allowed 0 to 256");
        failedNaming("negative-keep-alive", "keep_alive '-5h'", "-1 (never unload), 0 (unload after each use)");
        failedNaming("huge-warmup", "warmup.shapes.X [100000, 100000]", "more than 16777216 elements");
        for (String bad : new String[]{"many-iterations", "many-threads", "negative-keep-alive", "huge-warmup"}) {
            int status = given().contentType("application/json").body(SMALL).post("/v2/models/" + bad + "/infer").statusCode();
            assertEquals(503, status, bad + " is not loaded for a request either");
        }
        assertEquals(ModelState.READY, registry.status("good-eager").state());
        given().contentType("application/json").body(SMALL).post("/v2/models/good-lazy/infer").then().statusCode(200);
        assertEquals(ModelState.READY, registry.status("good-lazy").state());
        given().get("/q/health/started").then().statusCode(200);
    }

    /** A 20 MB model.yaml dropped in: the rescan answers at once, that model FAILED unparsed, the others serve on. */
    @Test
    void anOversizedManifestDoesNotHoldARescan() throws Exception {
        Startup.awaitStarted();
        Path dir = Files.createDirectories(repository.root().resolve("oversized"));
        Files.write(dir.resolve("model.onnx"), TinyOnnx.doubler(-1));
        Path manifest = dir.resolve("model.yaml");
        try (BufferedWriter out = Files.newBufferedWriter(manifest)) {
            out.write("description: \"");
            char[] chunk = new char[1 << 20];
            Arrays.fill(chunk, 'x');
            for (int i = 0; i < 20; i++) {
                out.write(chunk);
            }
            out.write("\"\n");
        }
        HttpResponse<String> rescan = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://localhost:" + io.restassured.RestAssured.port + "/api/v1/setup/ai-models/rescan"))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, rescan.statusCode(), rescan.body());
        failedNaming("oversized", "model.yaml is " + Files.size(manifest) + " bytes", "more than the 256 KiB Kiln reads");
        given().contentType("application/json").body(SMALL).post("/v2/models/good-eager/infer").then().statusCode(200);
    }

    /**
     * A hand edit that breaks a serving model's model.yaml is not taken: the model serves on with the
     * manifest it loaded with, and its reason says what a restart would fail on (it used to serve on
     * silently, its category and description shown as the defaults, while a restarted replica read the
     * same file as FAILED); the edit put right clears the reason.
     */
    @Test
    void aServingModelKeepsItsManifestWhenAHandEditBreaksIt() throws Exception {
        Startup.awaitStarted();
        Path dir = repository.root().resolve("good-eager");
        Path manifest = dir.resolve("model.yaml");
        String before = Files.exists(manifest) ? Files.readString(manifest) : null;
        try {
            Files.writeString(manifest, "category: image\ndescription: edited\nbogus: 1\n");
            given().post("/api/v1/setup/ai-models/rescan").then().statusCode(200);
            assertEquals(ModelState.READY, registry.status("good-eager").state());
            String reason = registry.status("good-eager").reason();
            assertTrue(reason != null && reason.contains("those on disk now cannot be loaded") && reason.contains("bogus"), String.valueOf(reason));
            assertTrue(!"edited".equals(registry.status("good-eager").entry().manifest().description()), "the broken edit is not taken");
            given().contentType("application/json").body(SMALL).post("/v2/models/good-eager/infer").then().statusCode(200);
            given().get("/api/v1/setup/models/status").then().statusCode(200)
                    .body("installed_models.find { it.name == 'good-eager' }.reason", org.hamcrest.Matchers.containsString("bogus"));
            given().get("/api/v1/setup/dependencies/health").then().statusCode(200)
                    .body("warnings", org.hamcrest.Matchers.hasItem(org.hamcrest.Matchers.startsWith("model 'good-eager' serves the files it loaded; those on disk now cannot be loaded")));
            // A disable would write the manifest as read with enabled: false: from a broken one, the defaults.
            String broken = Files.readString(manifest);
            given().contentType("application/json").body(Map.of("name", "good-eager", "enabled", false))
                    .post("/api/v1/setup/ai-models/enable").then().statusCode(409)
                    .body("error", org.hamcrest.Matchers.containsString("model.yaml of 'good-eager' is not changed"));
            assertEquals(broken, Files.readString(manifest), "the operator's file is left as it is");
            assertEquals(ModelState.READY, registry.status("good-eager").state());
        } finally {
            if (before == null) {
                Files.delete(manifest);
            } else {
                Files.writeString(manifest, before);
            }
        }
        given().post("/api/v1/setup/ai-models/rescan").then().statusCode(200);
        assertEquals(ModelState.READY, registry.status("good-eager").state());
        assertEquals(null, registry.status("good-eager").reason(), "put right: no reason");
    }

    /** A lock file this replica cannot make (here a folder stands where it goes) is a warning in the health report, naming it. */
    @Test
    void aLockFileThatCannotBeMadeIsAHealthWarning() throws Exception {
        Startup.awaitStarted();
        Path dir = Files.createDirectories(repository.root().resolve("foreign-lock"));
        Files.write(dir.resolve("model.onnx"), TinyOnnx.doubler(-1));
        Files.createDirectories(repository.root().resolve(".kiln-locks").resolve("foreign-lock.lock"));
        given().post("/api/v1/setup/ai-models/rescan").then().statusCode(200);
        given().get("/api/v1/setup/dependencies/health").then().statusCode(200)
                .body("warnings", org.hamcrest.Matchers.hasItem(org.hamcrest.Matchers.allOf(
                        org.hamcrest.Matchers.containsString("cannot make lock file"),
                        org.hamcrest.Matchers.containsString("foreign-lock.lock"),
                        org.hamcrest.Matchers.containsString("are refused and what a dead writer left is not swept"))));
        // A change would not be coordinated with other replicas: refused, saying why; nothing changed.
        given().contentType("application/json").body(Map.of("name", "foreign-lock", "enabled", false))
                .post("/api/v1/setup/ai-models/enable").then().statusCode(503)
                .body("error", org.hamcrest.Matchers.containsString("model 'foreign-lock' cannot be changed: lock file"));
        assertTrue(registry.status("foreign-lock").entry().manifest().isEnabled(), "still enabled");
    }

    /**
     * A serving model's model.onnx overwritten in place (a copy still being written) does not cost the
     * session that serves: it answers as before and says why the disk's file is not taken; once the copy
     * is whole, the new file serves (it used to drop the session and answer 503, FAILED, for the copy's length).
     */
    @Test
    void aServingModelKeepsItsSessionWhileItsFileIsHalfCopied() throws Exception {
        Startup.awaitStarted();
        Path file = repository.root().resolve("good-lazy").resolve("model.onnx");
        given().contentType("application/json").body(SMALL).post("/v2/models/good-lazy/infer").then().statusCode(200)
                .body("outputs[0].data", org.hamcrest.Matchers.contains(3.0f, -4.0f));
        byte[] identity = TinyOnnx.identity(TinyOnnx.FLOAT, -1);
        byte[] doubler = Files.readAllBytes(file);
        try {
            Files.write(file, Arrays.copyOf(identity, identity.length / 2));
            given().post("/api/v1/setup/ai-models/rescan").then().statusCode(200);
            assertEquals(ModelState.READY, registry.status("good-lazy").state());
            String reason = registry.status("good-lazy").reason();
            assertTrue(reason != null && reason.startsWith("serves the files it loaded; those on disk now cannot be loaded"), String.valueOf(reason));
            given().contentType("application/json").body(SMALL).post("/v2/models/good-lazy/infer").then().statusCode(200)
                    .body("outputs[0].data", org.hamcrest.Matchers.contains(3.0f, -4.0f));

            Files.write(file, identity);
            given().post("/api/v1/setup/ai-models/rescan").then().statusCode(200);
            assertEquals(ModelState.READY, registry.status("good-lazy").state());
            assertEquals(null, registry.status("good-lazy").reason());
            given().contentType("application/json").body(SMALL).post("/v2/models/good-lazy/infer").then().statusCode(200)
                    .body("outputs[0].data", org.hamcrest.Matchers.contains(1.5f, -2.0f));
        } finally {
            Files.write(file, doubler);
            given().post("/api/v1/setup/ai-models/rescan").then().statusCode(200);
        }
    }

    /**
     * A model copied in by hand after startup, its file still half written, does not take the replica out
     * of service at once (every replica of a fleet reads the same folder): it counts for readiness once it
     * has been READY, or after ai.models.registry.arrival-grace; a broken one then does.
     */
    @Test
    void aModelCopiedInAfterStartupCountsForReadinessAfterItsGrace() throws Exception {
        Startup.awaitStarted();
        given().get("/q/health/ready").then().statusCode(200);
        Path dir = Files.createDirectories(repository.root().resolve("half-copied"));
        byte[] identity = TinyOnnx.identity(TinyOnnx.FLOAT, -1);
        try {
            Files.write(dir.resolve("model.onnx"), Arrays.copyOf(identity, identity.length / 2));
            given().post("/api/v1/setup/ai-models/rescan").then().statusCode(200);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> registry.status("half-copied").state() == ModelState.FAILED);
            given().get("/q/health/ready").then().statusCode(200);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    given().get("/q/health/ready").then().statusCode(503)
                            .body("checks.find { it.name == 'required-models' }.data.not_ready", org.hamcrest.Matchers.equalTo("half-copied")));
            // Taken away and brought back, it gets no new grace: a folder that comes and goes cannot keep readiness up.
            Path aside = repository.root().resolveSibling("half-copied-aside");
            Files.move(dir, aside);
            given().post("/api/v1/setup/ai-models/rescan").then().statusCode(200);
            Files.move(aside, dir);
            given().post("/api/v1/setup/ai-models/rescan").then().statusCode(200);
            given().get("/q/health/ready").then().statusCode(503);
            Files.write(dir.resolve("model.onnx"), identity);
            given().post("/api/v1/setup/ai-models/rescan").then().statusCode(200);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> registry.status("half-copied").state() == ModelState.READY);
            given().get("/q/health/ready").then().statusCode(200);
        } finally {
            dev.kiln.testing.PackagedKiln.deleteTree(dir);
            given().post("/api/v1/setup/ai-models/rescan").then().statusCode(200);
        }
    }
}
