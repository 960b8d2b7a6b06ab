package dev.kiln.install;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The manifest forms Kiln reads, and the ones it refuses with a reason. */
class OciManifestTest {

    static final String D1 = "sha256:" + "1".repeat(64);
    static final String D2 = "sha256:" + "2".repeat(64);

    static OciManifest parse(String json, String contentType) throws InstallStepException {
        return OciManifest.parse(json.getBytes(StandardCharsets.UTF_8), contentType);
    }

    static String descriptor(String type, String digest, String extra) {
        return "{\"mediaType\":\"" + type + "\",\"digest\":\"" + digest + "\",\"size\":3" + extra + "}";
    }

    @Test
    void imagesAndArtifactsAreToldApartByConfigAndArtifactType() throws Exception {
        String layer = descriptor("application/vnd.oci.image.layer.v1.tar", D2, "");
        OciManifest image = parse("{\"schemaVersion\":2,\"config\":" + descriptor("application/vnd.oci.image.config.v1+json", D1, "")
                + ",\"layers\":[" + layer + "]}", "application/vnd.oci.image.manifest.v1+json");
        assertEquals(OciManifest.Kind.IMAGE, image.kind());
        OciManifest typed = parse("{\"schemaVersion\":2,\"artifactType\":\"application/x-onnx\",\"config\":"
                + descriptor("application/vnd.oci.image.config.v1+json", D1, "") + ",\"layers\":[" + layer + "]}", null);
        assertEquals(OciManifest.Kind.ARTIFACT, typed.kind());
        OciManifest empty = parse("{\"schemaVersion\":2,\"config\":" + descriptor("application/vnd.oci.empty.v1+json", D1, "")
                + ",\"layers\":[" + descriptor("application/vnd.oci.image.layer.v1.tar", D2,
                ",\"annotations\":{\"org.opencontainers.image.title\":\"model.onnx\"}") + "]}", "application/json");
        assertEquals(OciManifest.Kind.ARTIFACT, empty.kind());
        assertTrue(empty.layers().get(0).isTitledFile());
        OciManifest artifactManifest = parse("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.artifact.manifest.v1+json\","
                + "\"artifactType\":\"application/x-onnx\",\"blobs\":[" + layer + "]}", null);
        assertEquals(OciManifest.Kind.ARTIFACT, artifactManifest.kind());
        assertEquals(D2, artifactManifest.layers().get(0).digest());
    }

    @Test
    void anIndexPicksItsOnlyImageOrLinuxAmd64AndSkipsAttestations() throws Exception {
        String arm = descriptor("application/vnd.oci.image.manifest.v1+json", D1, ",\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}");
        String amd = descriptor("application/vnd.oci.image.manifest.v1+json", D2, ",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}");
        String attestation = descriptor("application/vnd.oci.image.manifest.v1+json", D2,
                ",\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}");
        assertEquals(D2, parse("{\"schemaVersion\":2,\"manifests\":[" + arm + "," + amd + "]}", null).pick().digest());
        assertEquals(D1, parse("{\"schemaVersion\":2,\"manifests\":[" + arm + "," + attestation + "]}",
                "application/vnd.docker.distribution.manifest.list.v2+json").pick().digest());
        InstallStepException none = assertThrows(InstallStepException.class, () -> parse("{\"schemaVersion\":2,\"manifests\":["
                + arm + "," + arm.replace("arm64", "s390x") + "]}", null).pick());
        assertTrue(none.getMessage().contains("none for linux/amd64"), none.getMessage());
    }

    @Test
    void refusals() {
        assertRefused("{\"schemaVersion\":1,\"fsLayers\":[]}", "schemaVersion 1");
        assertRefused("{\"schemaVersion\":2,\"layers\":[],\"layers\":[]}", "not valid JSON");
        assertRefused("{\"schemaVersion\":2,\"config\":" + descriptor("x", "sha512:" + "a".repeat(128), "") + ",\"layers\":[]}",
                "only sha256 digests");
        assertRefused("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.example+json\"}", "of type 'application/vnd.example+json'");
        assertRefused("[1]", "not a JSON object");
    }

    static void assertRefused(String json, String why) {
        InstallStepException e = assertThrows(InstallStepException.class, () -> parse(json, null));
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }
}
