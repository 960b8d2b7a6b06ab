package dev.kiln.install;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.runtime.TinyOnnx;
import dev.kiln.testing.Admin;
import dev.kiln.testing.Archives;
import dev.kiln.testing.Json;
import dev.kiln.testing.ModelServer;
import dev.kiln.testing.ModelServer.Mode;
import dev.kiln.testing.Startup;
import dev.kiln.testing.TestRepository;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Installs from a real local HTTP server: good, tampered, truncated, oversized and archived sources. */
@QuarkusTest
@TestProfile(InstallTest.LocalSources.class)
class InstallTest {

    public static class LocalSources implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ai.models.install.allow-http", "true",
                    "ai.models.install.allow-private-networks", "true",
                    "ai.models.install.max-bytes", "2000000");
        }
    }

    static ModelServer server;
    static byte[] identity = TinyOnnx.identity(TinyOnnx.FLOAT, -1);

    @BeforeAll
    static void start() throws Exception {
        server = new ModelServer();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        for (String n : List.of("inst-ok", "inst-tar", "inst-zip", "inst-slow", "inst-new", "inst-ver")) {
            TestRepository.delete(n);
        }
    }

    /** A name whose lock file cannot be made fails its install before the download, saying why (it would be refused at its end). */
    @Test
    void anInstallWhoseLockCannotBeMadeFailsBeforeItDownloads() throws Exception {
        Startup.awaitStarted();
        Path lock = Files.createDirectories(TestRepository.ROOT.resolve(".kiln-locks").resolve("inst-nolock.lock"));
        try {
            String url = server.serve("/nolock.onnx", identity, Mode.NORMAL);
            Admin.install(request("inst-nolock", url, null), true).statusCode(org.hamcrest.Matchers.greaterThanOrEqualTo(400))
                    .body("status", equalTo("failed"))
                    .body("error", containsString("model 'inst-nolock' cannot be changed: lock file"));
            assertEquals(0, server.requests("/nolock.onnx"), "nothing downloaded");
            assertNothingLeft("inst-nolock");
        } finally {
            Files.delete(lock);
        }
    }

    static Map<String, Object> request(String name, String url, String sha) {
        Map<String, Object> body = new HashMap<>(Map.of("name", name, "url", url, "category", "text"));
        if (sha != null) {
            body.put("sha256", sha);
        }
        return body;
    }

    static void assertNothingLeft(String name) throws Exception {
        assertFalse(Files.exists(TestRepository.ROOT.resolve(name)), name + " directory left behind");
        try (Stream<Path> files = Files.list(TestRepository.ROOT)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".kiln-tmp-")), "temporary files left");
        }
        given().get("/v2/models/" + name + "/ready").then().statusCode(404);
    }

    static void inferIdentity(String name) {
        V2.infer(name, Map.of("inputs", List.of(V2.input("X", "FP32", List.of(2L), List.of(1.5, -2.0)))))
                .statusCode(200).body("outputs[0].data", equalTo(List.of(1.5f, -2.0f)));
    }

    @Test
    void rightChecksumInstallsAndServes() throws Exception {
        Startup.awaitStarted();
        String url = server.serve("/ok.onnx", identity, Mode.NORMAL);
        JsonNode job = Json.of(Admin.install(request("inst-ok", url, ModelServer.sha256(identity)), true).statusCode(200));
        assertEquals("done", job.get("status").asText());
        assertEquals("READY", job.get("model_state").asText());
        assertEquals(identity.length, job.get("bytes_done").asLong());
        assertEquals(ModelServer.sha256(identity), job.get("sha256").asText());
        inferIdentity("inst-ok");
        String manifest = Files.readString(TestRepository.ROOT.resolve("inst-ok/model.yaml"));
        assertTrue(manifest.contains("sha256: " + ModelServer.sha256(identity)), manifest);
        given().get("/api/v1/setup/models/status").then().body(containsString("\"name\":\"inst-ok\""));

        Admin.install(request("inst-ok", url, null), true).statusCode(409).body("error", containsString("\"replace\": true"));
        Admin.uninstall("inst-ok").statusCode(200);
        assertNothingLeft("inst-ok");
        Admin.install(request("inst-ok", url, null), true).statusCode(200);
        inferIdentity("inst-ok");
        Admin.uninstall("inst-ok").statusCode(200);
    }

    @Test
    void wrongChecksumIsRejectedAndLeavesNothing() throws Exception {
        String url = server.serve("/tampered.onnx", identity, Mode.NORMAL);
        String wrong = "ab".repeat(32);
        Admin.install(request("inst-bad", url, wrong), true).statusCode(422)
                .body("status", equalTo("failed"))
                .body("error", equalTo("verify: sha256 mismatch: expected " + wrong + ", got " + ModelServer.sha256(identity)));
        assertNothingLeft("inst-bad");
    }

    @Test
    void truncatedDownloadIsRejected() throws Exception {
        byte[] big = Files.readAllBytes(TestRepository.ROOT.resolve("ppocr-cls/model.onnx"));
        String url = server.serve("/truncated.onnx", big, Mode.TRUNCATED);
        Admin.install(request("inst-trunc", url, null), true).statusCode(422)
                .body("error", containsString("download: download"));
        assertNothingLeft("inst-trunc");
    }

    @Test
    void overMaxBytesIsRejectedWithOrWithoutALength() throws Exception {
        byte[] huge = new byte[2_500_000];
        String declared = server.serve("/huge.onnx", huge, Mode.NORMAL);
        Admin.install(request("inst-huge", declared, null), true).statusCode(422)
                .body("error", containsString("over ai.models.install.max-bytes"));
        String chunked = server.serve("/huge-chunked.onnx", huge, Mode.CHUNKED);
        Admin.install(request("inst-huge", chunked, null), true).statusCode(422)
                .body("error", containsString("passed ai.models.install.max-bytes"));
        assertNothingLeft("inst-huge");
    }

    @Test
    void notAnOnnxModelFailsValidation() throws Exception {
        String url = server.serve("/junk.onnx", "definitely not onnx".getBytes(), Mode.NORMAL);
        Admin.install(request("inst-junk", url, null), true).statusCode(422)
                .body("error", containsString("validate: ONNX Runtime cannot open the model"));
        assertNothingLeft("inst-junk");
    }

    @Test
    void archivesAreUnpackedWithTheirSideFiles() throws Exception {
        byte[] tgz = Archives.tarGz(Map.of("pkg/model.onnx", identity, "pkg/vocab.txt", "a\nb\n".getBytes()));
        Admin.install(request("inst-tar", server.serve("/m.tar.gz", tgz, Mode.NORMAL), null), true).statusCode(200);
        assertTrue(Files.exists(TestRepository.ROOT.resolve("inst-tar/vocab.txt")));
        inferIdentity("inst-tar");

        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(zip)) {
            z.putNextEntry(new ZipEntry("model.onnx"));
            z.write(identity);
            z.closeEntry();
        }
        Admin.install(request("inst-zip", server.serve("/m.zip", zip.toByteArray(), Mode.NORMAL), null), true).statusCode(200);
        inferIdentity("inst-zip");

        ByteArrayOutputStream evil = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(evil)) {
            z.putNextEntry(new ZipEntry("../../escape.onnx"));
            z.write(identity);
            z.closeEntry();
        }
        Admin.install(request("inst-evil", server.serve("/evil.zip", evil.toByteArray(), Mode.NORMAL), null), true)
                .statusCode(422).body("error", containsString("would land outside the model directory"));
        assertNothingLeft("inst-evil");
        assertFalse(Files.exists(TestRepository.ROOT.getParent().resolve("escape.onnx")));
        Admin.uninstall("inst-tar").statusCode(200);
        Admin.uninstall("inst-zip").statusCode(200);
    }

    /** A version folder inside an archive was served unopened: a broken one took readiness down after "done". */
    @Test
    void anArchiveWithVersionFoldersIsRefused() throws Exception {
        Startup.awaitStarted();
        byte[] tgz = Archives.tarGz(Map.of("model.onnx", identity, "2/model.onnx", "garbage".getBytes()));
        Admin.install(request("inst-vers", server.serve("/vers.tar.gz", tgz, Mode.NORMAL), null), true)
                .statusCode(422).body("status", equalTo("failed"))
                .body("error", containsString("version folder(s) [2]"));
        assertNothingLeft("inst-vers");
        byte[] zeros = Archives.tarGz(Map.of("model.onnx", identity, "007/model.onnx", identity));
        Admin.install(request("inst-vers0", server.serve("/vers0.tar.gz", zeros, Mode.NORMAL), null), true)
                .statusCode(422).body("status", equalTo("failed"))
                .body("error", containsString("folder(s) [007] named like versions that are not version numbers"));
        assertNothingLeft("inst-vers0");
        io.restassured.RestAssured.given().get("/q/health/ready").then().statusCode(200);
    }

    /** A zip and a tar.gz of about 260 KB that expand to 256 MiB each: refused at unpack with the numbers, nothing left. */
    @Test
    void archiveBombsAreRefusedAtUnpackWithTheirNumbers() throws Exception {
        Startup.awaitStarted();
        byte[] zip = Bombs.zip(1, ArchiveUnpackerTest.BOMB);
        Admin.install(request("inst-zip-bomb", server.serve("/bomb.zip", zip, Mode.NORMAL), null), true).statusCode(422)
                .body("status", equalTo("failed"))
                .body("error", startsWith("unpack: archive entry 'model.onnx' expands from "))
                .body("error", containsString(" to " + ArchiveUnpackerTest.BOMB + " bytes (256 MiB)"))
                .body("error", containsString("more than ai.models.install.max-expansion-ratio (100:1)"));
        assertNothingLeft("inst-zip-bomb");
        byte[] tgz = Bombs.tarGz(ArchiveUnpackerTest.BOMB);
        Admin.install(request("inst-tgz-bomb", server.serve("/bomb.tar.gz", tgz, Mode.NORMAL), null), true).statusCode(422)
                .body("error", equalTo("unpack: the archive would expand to " + ArchiveUnpackerTest.BOMB + " bytes (256 MiB) from "
                        + tgz.length + " bytes (" + ArchiveUnpackerTest.BOMB / tgz.length
                        + ":1), more than ai.models.install.max-expansion-ratio (100:1)"));
        assertNothingLeft("inst-tgz-bomb");
    }

    @Test
    void longInstallsAreJobsWithProgressAndASecondOneIsRefused() throws Exception {
        byte[] big = Files.readAllBytes(TestRepository.ROOT.resolve("ppocr-cls/model.onnx"));
        String url = server.serve("/slow.onnx", big, Mode.SLOW);
        Response accepted = given().contentType("application/json").body(request("inst-slow", url, ModelServer.sha256(big)))
                .post("/api/v1/setup/ai-models/install");
        assertEquals(202, accepted.statusCode(), accepted.asString());
        String id = accepted.jsonPath().getString("id");
        String location = accepted.header("Location");
        assertTrue(location.endsWith("/api/v1/setup/ai-models/install/jobs/" + id), location);

        Admin.install(request("inst-slow", url, null), false).statusCode(409)
                .body("error", containsString("already running as job " + id));

        Thread.sleep(1500);
        JsonNode progress = Json.of(given().get("/api/v1/setup/ai-models/install/jobs/" + id).then().statusCode(200));
        assertEquals("downloading", progress.get("status").asText(), progress.toString());
        assertTrue(progress.get("bytes_done").asLong() > 0 && progress.get("bytes_done").asLong() < big.length, progress.toString());
        assertEquals(big.length, progress.get("bytes_total").asLong());

        long deadline = System.currentTimeMillis() + 60_000;
        JsonNode end = progress;
        while (System.currentTimeMillis() < deadline && !end.get("status").asText().matches("done|failed")) {
            Thread.sleep(250);
            end = Json.of(given().get("/api/v1/setup/ai-models/install/jobs/" + id).then().statusCode(200));
        }
        assertEquals("done", end.get("status").asText(), end.toString());
        given().get("/api/v1/setup/ai-models/install/jobs/no-such-job").then().statusCode(404);
        Admin.uninstall("inst-slow").statusCode(200);
    }

    @Test
    void requestsAreCheckedFieldByField() throws Exception {
        String url = server.serve("/x.onnx", identity, Mode.NORMAL);
        Admin.install(Map.of("name", "Bad Name", "url", url, "category", "text"), false).statusCode(400)
                .body("error", containsString("invalid model name"));
        // GET /v2/models/stats is every model's statistics: a model so named could not be reached there.
        Admin.install(Map.of("name", "stats", "url", url, "category", "text"), false).statusCode(400)
                .body("error", containsString("are not [stats]"));
        Admin.install(Map.of("name", "x", "category", "text"), false).statusCode(400).body("error", equalTo("field 'url' is required"));
        Admin.install(Map.of("name", "x", "url", url), false).statusCode(400).body("error", containsString("field 'category' is required"));
        Admin.install(Map.of("name", "x", "url", url, "category", "text", "sha256", "xyz"), false).statusCode(400)
                .body("error", equalTo("field 'sha256' must be 64 hexadecimal characters"));
        Admin.install(Map.of("name", "x", "url", url, "category", "text", "mirror", "y"), false).statusCode(400)
                .body("error", equalTo("unknown field 'mirror'"));
        Admin.install(Map.of("name", "x", "url", url, "category", "text", "lazy_load", "soon"), false).statusCode(400)
                .body("error", equalTo("field 'lazy_load' has the wrong type"));
        Admin.install(Map.of("name", "x", "url", "gopher://x/y", "category", "text"), false).statusCode(400)
                .body("error", containsString("unsupported URL scheme 'gopher'"));
        Admin.install(Map.of("name", "x", "url", "file:///etc/passwd", "category", "text"), false).statusCode(400)
                .body("error", containsString("file:// sources are not allowed"));
        given().contentType("application/json").body("{\"name\": \"" + "a".repeat(70_000) + "\"}")
                .post("/api/v1/setup/ai-models/install").then().statusCode(413).body("error", containsString("larger than"));
        assertChunkedBodyRefused();
        Admin.enable("no-such-model", false).statusCode(404);
        Admin.uninstall("no-such-model").statusCode(404).body("error", equalTo("unknown model 'no-such-model'"));
        given().contentType("application/json").body(Map.of("name", "ppocr-cls")).post("/api/v1/setup/ai-models/enable")
                .then().statusCode(400).body("error", containsString("'enabled' is required"));
    }

    /** A body of unknown length (chunked over HTTP/1.1, unsized over HTTP/2) is refused: the limit needs a length. */
    static void assertChunkedBodyRefused() throws Exception {
        for (java.net.http.HttpClient.Version version : java.net.http.HttpClient.Version.values()) {
            assertUnsizedBodyRefused(version);
        }
    }

    static void assertUnsizedBodyRefused(java.net.http.HttpClient.Version version) throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newBuilder().version(version).build().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:" + io.restassured.RestAssured.port
                                + "/api/v1/setup/ai-models/install"))
                        .header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                                () -> new java.io.ByteArrayInputStream("{\"name\": \"x\"}".getBytes())))
                        .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(411, r.statusCode(), version + ": " + r.body());
        assertTrue(r.body().contains("Content-Length"), r.body());
    }

    /**
     * {@code version} installs beside the model's other versions and takes no traffic until routed
     * (unversioned calls stay on the version they reached, pinned as stable); one version uninstalls
     * alone, once the routing no longer names it.
     */
    @Test
    void aVersionInstallsBesideTheOthersAndUninstallsAlone() throws Exception {
        Startup.awaitStarted();
        Admin.install(request("inst-ver", server.serve("/v1.onnx", identity, Mode.NORMAL), null), true).statusCode(200);
        Map<String, Object> two = request("inst-ver", server.serve("/v2.onnx", TinyOnnx.doubler(-1), Mode.NORMAL), null);
        two.put("version", 2);
        Admin.install(two, true).statusCode(200);
        Admin.install(two, true).statusCode(409).body("error", containsString("already has version 2"));
        Path dir = TestRepository.ROOT.resolve("inst-ver");
        assertTrue(Files.exists(dir.resolve("model.onnx")) && Files.exists(dir.resolve("2/model.onnx")), "both on disk");
        inferIdentity("inst-ver");
        inferIdentity("inst-ver/versions/1");
        V2.infer("inst-ver/versions/2", Map.of("inputs", List.of(V2.input("X", "FP32", List.of(2L), List.of(1.5, -2.0)))))
                .statusCode(200).body("outputs[0].data", equalTo(List.of(3.0f, -4.0f))).body("model_version", equalTo("2"));
        assertTrue(Files.readString(dir.resolve("model.yaml")).contains("stable: 1"), "unversioned calls pinned to 1");
        // Under latest: 2, a third version would push out version 1, where the calls are: refused before any download.
        given().contentType("application/json").body(Map.of("latest", 2)).put("/api/v1/setup/models/inst-ver/version-policy")
                .then().statusCode(200);
        Map<String, Object> three = request("inst-ver", server.serve("/v3.onnx", TinyOnnx.doubler(-1), Mode.NORMAL), null);
        three.put("version", 3);
        Admin.install(three, true).statusCode(409).body("error", containsString("would stop serving version(s) [1]"));
        assertFalse(Files.exists(dir.resolve("3")), "nothing of version 3 written");
        given().delete("/api/v1/setup/models/inst-ver/versions/1").then().statusCode(409).body("error", containsString("alias stable"));
        given().contentType("application/json").body(Map.of("version", 2)).put("/api/v1/setup/models/inst-ver/aliases/stable")
                .then().statusCode(200).body("default_version", equalTo(2));
        given().delete("/api/v1/setup/models/inst-ver/versions/1").then().statusCode(200).body("versions.version", equalTo(List.of(2)));
        assertFalse(Files.exists(dir.resolve("model.onnx")), "version 1's file is gone");
        assertTrue(Files.exists(dir.resolve("2/model.onnx")) && Files.exists(dir.resolve("model.yaml")), "the rest stays");
        V2.infer("inst-ver/versions/1", Map.of("inputs", List.of(V2.input("X", "FP32", List.of(1L), List.of(1.0))))).statusCode(404);
        V2.infer("inst-ver", Map.of("inputs", List.of(V2.input("X", "FP32", List.of(1L), List.of(1.5))))).statusCode(200)
                .body("outputs[0].data", equalTo(List.of(3.0f)));
        given().delete("/api/v1/setup/models/inst-ver/versions/2").then().statusCode(409).body("error", containsString("only version"));
        Admin.uninstall("inst-ver").statusCode(200);
        assertNothingLeft("inst-ver");
    }
}
