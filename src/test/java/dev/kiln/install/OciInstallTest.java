package dev.kiln.install;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.catalog.ModelRepository;
import dev.kiln.testing.Admin;
import dev.kiln.testing.Json;
import dev.kiln.testing.LocalRegistry;
import dev.kiln.testing.OciLayout;
import dev.kiln.testing.OciLayout.Blob;
import dev.kiln.testing.OciLayout.Tar;
import dev.kiln.testing.Startup;
import dev.kiln.testing.TestRepository;
import dev.kiln.testing.V2;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code oci://} installs from a real registry (Debian's docker-registry on loopback) holding
 * images that skopeo pushed from OCI layouts built here: a modelcar image (the model under /models,
 * with whiteouts over lower layers), the same image as a Docker schema 2 manifest, an index, and
 * artifacts (a tar layer; a single titled file as oras pushes it). The model installed from the
 * registry must answer exactly as the demo model it was packed from.
 */
@QuarkusTest
@TestProfile(OciInstallTest.Registries.class)
class OciInstallTest {

    static final Path AUTH_FILE = Path.of("target/oci-install-test/auth.json").toAbsolutePath();
    static final Path WORK = AUTH_FILE.resolveSibling("shapes");
    static final long MAX_BYTES = 5_000_000;

    public static class Registries implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("ai.models.install.allow-http", "true",
                    "ai.models.install.allow-private-networks", "true",
                    "ai.models.install.max-bytes", Long.toString(MAX_BYTES),
                    "ai.models.install.oci.plain-http-registries", "127.0.0.1",
                    "ai.models.install.oci.auth-file", AUTH_FILE.toString());
        }
    }

    static LocalRegistry registry;
    static byte[] cls;

    @BeforeAll
    static void start() throws Exception {
        ModelRepository.deleteTree(WORK);
        registry = LocalRegistry.start(WORK.resolve("open-registry"), "");
        cls = Files.readAllBytes(TestRepository.ROOT.resolve("ppocr-cls/model.onnx"));
    }

    @AfterAll
    static void stop() throws Exception {
        registry.close();
        for (String n : List.of("oci-cls", "oci-cls-digest", "oci-cls-docker", "oci-index", "oci-art-tar", "oci-art-file")) {
            TestRepository.delete(n);
        }
    }

    static Map<String, Object> request(String name, String url) {
        return new HashMap<>(Map.of("name", name, "url", url, "category", "image"));
    }

    String url(String repoAndReference) {
        return "oci://" + registry.authority() + "/" + repoAndReference;
    }

    /** A base layer as a small distribution ships one: files, links and a device outside /models, all read past. */
    static Tar baseSystem() throws Exception {
        return new Tar().dir("bin").file("bin/busybox", "pretend busybox".getBytes()).symlink("bin/sh", "busybox")
                .hardlink("bin/ls", "bin/busybox").dir("dev").charDevice("dev/null").symlink("etc-passwd", "/etc/passwd").dir("models");
    }

    /** A modelcar image: base system, then the model under /models/cls with side files, then whiteouts over them. */
    static Blob modelcar(OciLayout layout, String arch, byte[] model) throws Exception {
        Blob base = layout.layer(baseSystem(), true);
        Blob files = layout.layer(new Tar().dir("models/cls").file("models/cls/model.onnx", model)
                .file("models/cls/notes.txt", "stale".getBytes()).dir("models/cls/extra")
                .file("models/cls/extra/old.txt", "old".getBytes()), true);
        Blob whiteouts = layout.layer(new Tar().file("models/cls/.wh.notes.txt", new byte[0])
                .file("models/cls/extra/.wh..wh..opq", new byte[0]).file("models/cls/extra/new.txt", "new".getBytes()), false);
        List<Blob> layers = List.of(base, files, whiteouts);
        return layout.manifest(layout.imageConfig(arch, layers), layers, null);
    }

    /** The same input through both models: the installed copy must answer exactly as the demo model. */
    static void answersLikeTheDemoModel(String name) {
        float[] image = new float[3 * 48 * 192];
        for (int i = 0; i < image.length; i++) {
            image[i] = (float) Math.sin(i * 0.01);
        }
        Map<String, Object> body = Map.of("inputs", List.of(V2.input("x", "FP32", List.of(1L, 3L, 48L, 192L), image)));
        JsonNode demo = Json.of(V2.infer("ppocr-cls", body).statusCode(200)).get("outputs");
        JsonNode installed = Json.of(V2.infer(name, body).statusCode(200)).get("outputs");
        assertEquals(demo, installed);
    }

    static JsonNode installed(String name, String url) {
        JsonNode job = Json.of(Admin.install(request(name, url), true).statusCode(200));
        assertEquals("done", job.get("status").asText(), job.toString());
        assertEquals("READY", job.get("model_state").asText(), job.toString());
        return job;
    }

    @Test
    void aModelcarImageInstallsAndAnswersAsTheDemoModel() throws Exception {
        Startup.awaitStarted();
        OciLayout layout = new OciLayout(WORK.resolve("layout-modelcar"));
        Blob image = modelcar(layout, "amd64", cls);
        layout.tag("1.0", image);
        registry.push(layout.dir(), "1.0", "kiln/cls:1.0", null);

        JsonNode job = installed("oci-cls", url("kiln/cls:1.0"));
        assertEquals(image.hex(), job.get("sha256").asText(), "the job records the manifest's digest");
        Path dir = TestRepository.ROOT.resolve("oci-cls");
        assertArrayEquals(cls, Files.readAllBytes(dir.resolve("model.onnx")));
        assertFalse(Files.exists(dir.resolve("notes.txt")), "a whiteout removes a lower layer's file");
        assertFalse(Files.exists(dir.resolve("extra/old.txt")), "an opaque directory hides the lower layer's contents");
        assertEquals("new", Files.readString(dir.resolve("extra/new.txt")));
        try (Stream<Path> top = Files.list(dir)) {
            assertEquals(List.of("extra", "model.onnx", "model.yaml"), top.map(p -> p.getFileName().toString()).sorted().toList(),
                    "nothing from outside /models");
        }
        String manifest = Files.readString(dir.resolve("model.yaml"));
        assertTrue(manifest.contains("url: " + url("kiln/cls:1.0")) && manifest.contains("sha256: " + image.hex()), manifest);
        answersLikeTheDemoModel("oci-cls");

        installed("oci-cls-digest", url("kiln/cls@" + image.digest()));
        answersLikeTheDemoModel("oci-cls-digest");

        registry.push(layout.dir(), "1.0", "kiln/cls-docker:1.0", null, "--format", "v2s2");
        assertEquals("application/vnd.docker.distribution.manifest.v2+json", contentType("kiln/cls-docker", "1.0"),
                "skopeo converted the image to Docker schema 2");
        installed("oci-cls-docker", url("kiln/cls-docker:1.0"));
        answersLikeTheDemoModel("oci-cls-docker");

        for (String n : List.of("oci-cls", "oci-cls-digest", "oci-cls-docker")) {
            Admin.uninstall(n).statusCode(200);
        }
    }

    @Test
    void anIndexInstallsItsLinuxAmd64Image() throws Exception {
        OciLayout layout = new OciLayout(WORK.resolve("layout-index"));
        Blob arm = modelcar(layout, "arm64", "the arm64 image, which is not the one to take".getBytes());
        Blob amd = modelcar(layout, "amd64", cls);
        Map<Blob, String> images = new LinkedHashMap<>();
        images.put(arm, "linux/arm64");
        images.put(amd, "linux/amd64");
        Blob index = layout.index(images);
        layout.tag("multi", index);
        registry.push(layout.dir(), "multi", "kiln/multi:1", null, "--all");

        JsonNode job = installed("oci-index", url("kiln/multi:1"));
        assertEquals(index.hex(), job.get("sha256").asText(), "the job records the digest the reference names: the index's");
        assertArrayEquals(cls, Files.readAllBytes(TestRepository.ROOT.resolve("oci-index/model.onnx")));
        answersLikeTheDemoModel("oci-index");
        Admin.uninstall("oci-index").statusCode(200);
    }

    @Test
    void artifactsInstallFromATarLayerAndFromATitledFile() throws Exception {
        OciLayout layout = new OciLayout(WORK.resolve("layout-artifacts"));
        Blob tarLayer = layout.layer(new Tar().dir("cls").file("cls/model.onnx", cls).file("cls/labels.txt", "0\n180\n".getBytes()), true);
        layout.tag("tar", layout.manifest(layout.emptyConfig(), List.of(tarLayer), "application/vnd.kiln.model.v1"));
        layout.tag("file", layout.manifest(layout.emptyConfig(), List.of(layout.titledFile("model.onnx", cls)), "application/vnd.kiln.model.v1"));
        registry.push(layout.dir(), "tar", "kiln/artifact:tar", null);
        registry.push(layout.dir(), "file", "kiln/artifact:file", null);

        installed("oci-art-tar", url("kiln/artifact:tar"));
        assertEquals("0\n180\n", Files.readString(TestRepository.ROOT.resolve("oci-art-tar/labels.txt")));
        answersLikeTheDemoModel("oci-art-tar");
        installed("oci-art-file", url("kiln/artifact:file"));
        answersLikeTheDemoModel("oci-art-file");
        Admin.uninstall("oci-art-tar").statusCode(200);
        Admin.uninstall("oci-art-file").statusCode(200);
    }

    @Test
    void aWrongDigestAMissingTagAndAMismatchedSha256AreRefusedNamingTheReference() throws Exception {
        OciLayout layout = new OciLayout(WORK.resolve("layout-refusals"));
        Blob image = modelcar(layout, "amd64", cls);
        layout.tag("1", image);
        registry.push(layout.dir(), "1", "kiln/refusals:1", null);

        String wrong = "sha256:" + "0".repeat(64);
        Admin.install(request("oci-wrong", url("kiln/refusals@" + wrong)), true).statusCode(422)
                .body("error", allOf(startsWith("download: "), containsString(url("kiln/refusals@" + wrong) + " was not found in the registry")));
        InstallTest.assertNothingLeft("oci-wrong");

        Admin.install(request("oci-missing", url("kiln/refusals:nope")), true).statusCode(422)
                .body("error", allOf(containsString(url("kiln/refusals:nope") + " was not found"), containsString("MANIFEST_UNKNOWN")));
        Admin.install(request("oci-missing", url("kiln/no-such-repo:1")), true).statusCode(422)
                .body("error", containsString(url("kiln/no-such-repo:1") + " was not found"));
        InstallTest.assertNothingLeft("oci-missing");

        Map<String, Object> pinned = request("oci-pinned", url("kiln/refusals:1"));
        pinned.put("sha256", "ab".repeat(32));
        Admin.install(pinned, true).statusCode(422)
                .body("error", startsWith("verify: sha256 mismatch: expected " + "ab".repeat(32) + ", got " + image.hex()));
        InstallTest.assertNothingLeft("oci-pinned");
    }

    @Test
    void aBlobThatDoesNotMatchItsDigestIsRefused() throws Exception {
        OciLayout layout = new OciLayout(WORK.resolve("layout-tampered"));
        Blob layer = layout.layer(new Tar().file("model.onnx", cls), false);
        layout.tag("1", layout.manifest(layout.emptyConfig(), List.of(layer), "application/vnd.kiln.model.v1"));
        registry.push(layout.dir(), "1", "kiln/tampered:1", null);
        byte[] stored = Files.readAllBytes(registry.blobData(layer.digest()));
        stored[stored.length / 2] ^= 1;
        Files.write(registry.blobData(layer.digest()), stored);

        Admin.install(request("oci-tampered", url("kiln/tampered:1")), true).statusCode(422)
                .body("error", allOf(startsWith("download: blob " + layer.digest() + " does not match its descriptor"),
                        containsString(layer.size() + " bytes")));
        InstallTest.assertNothingLeft("oci-tampered");
    }

    @Test
    void layersThatClimbOutOrHoldLinksAreRefusedAndNothingIsWritten() throws Exception {
        OciLayout layout = new OciLayout(WORK.resolve("layout-evil"));
        layout.tag("artifact", layout.manifest(layout.emptyConfig(),
                List.of(layout.layer(new Tar().file("model.onnx", cls).file("../../oci-escaped.onnx", cls), true)), "application/vnd.kiln.model.v1"));
        List<Blob> climbing = List.of(layout.layer(new Tar().file("models/m/model.onnx", cls).file("models/../../oci-escaped.onnx", cls), true));
        layout.tag("modelcar", layout.manifest(layout.imageConfig("amd64", climbing), climbing, null));
        List<Blob> linking = List.of(layout.layer(new Tar().dir("models/m").symlink("models/m/model.onnx", "/etc/passwd"), true));
        layout.tag("link", layout.manifest(layout.imageConfig("amd64", linking), linking, null));
        for (String tag : List.of("artifact", "modelcar", "link")) {
            registry.push(layout.dir(), tag, "kiln/evil:" + tag, null);
        }

        Admin.install(request("oci-evil", url("kiln/evil:artifact")), true).statusCode(422)
                .body("error", allOf(startsWith("unpack: "), containsString("'../../oci-escaped.onnx'"), containsString("refused")));
        Admin.install(request("oci-evil", url("kiln/evil:modelcar")), true).statusCode(422)
                .body("error", containsString("'models/../../oci-escaped.onnx', an absolute path or one with '..'"));
        Admin.install(request("oci-evil", url("kiln/evil:link")), true).statusCode(422)
                .body("error", containsString("links are not allowed"));
        InstallTest.assertNothingLeft("oci-evil");
        assertFalse(Files.exists(TestRepository.ROOT.resolve("oci-escaped.onnx")));
        assertFalse(Files.exists(TestRepository.ROOT.getParent().resolve("oci-escaped.onnx")));
    }

    @Test
    void layersOverMaxBytesAreRefusedBeforeTheirDownload() throws Exception {
        OciLayout layout = new OciLayout(WORK.resolve("layout-large"));
        Blob large = layout.layer(new Tar().file("model.onnx", cls).file("weights.bin", new byte[(int) MAX_BYTES]), false);
        layout.tag("1", layout.manifest(layout.emptyConfig(), List.of(large), "application/vnd.kiln.model.v1"));
        registry.push(layout.dir(), "1", "kiln/large:1", null);

        JsonNode job = Json.of(Admin.install(request("oci-large", url("kiln/large:1")), true).statusCode(422));
        assertTrue(job.get("error").asText().startsWith("download: the layers are " + large.size() + " bytes, over ai.models.install.max-bytes"),
                job.toString());
        assertEquals(0, job.get("bytes_done").asLong(), "nothing was downloaded");
        InstallTest.assertNothingLeft("oci-large");
    }

    @Test
    void badReferencesAreRefusedAtOnce() {
        Admin.install(request("oci-bad", url("Kiln/Upper:1")), false).statusCode(400)
                .body("error", containsString("not a valid oci:// reference: the repository must be lowercase"));
        Admin.install(request("oci-bad", "oci://user:hunter2@" + registry.authority() + "/kiln/cls:1"), false).statusCode(400)
                .body("error", allOf(containsString("not a valid oci:// reference"), not(containsString("hunter2"))));
        Admin.install(request("oci-bad", url("kiln/cls@sha256:abc")), false).statusCode(400)
                .body("error", containsString("the digest must be sha256: and 64 lowercase hexadecimal characters"));
    }

    /** The Content-Type the registry answers for a manifest, asked with Kiln's Accept list. */
    String contentType(String repo, String reference) throws Exception {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://" + registry.authority() + "/v2/" + repo + "/manifests/" + reference)
                .toURL().openConnection();
        c.setRequestProperty("Accept", OciManifest.ACCEPT);
        assertEquals(200, c.getResponseCode());
        return c.getContentType();
    }
}
