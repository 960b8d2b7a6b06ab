package dev.kiln.install;

import dev.kiln.errors.KilnError;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** oci:// references read as Docker reads image names: registry or Docker Hub, tag or digest. */
class OciReferenceTest {

    static final String DIGEST = "sha256:" + "0123456789abcdef".repeat(4);

    @Test
    void registryRepositoryTagAndDigest() {
        assertEquals(new OciReference("127.0.0.1", 5000, "kiln/cls", "1.0", null), OciReference.parse("oci://127.0.0.1:5000/kiln/cls:1.0"));
        assertEquals(new OciReference("quay.io", -1, "org/team/model", null, DIGEST), OciReference.parse("oci://quay.io/org/team/model@" + DIGEST));
        OciReference both = OciReference.parse("oci://ghcr.io/org/model:v2@" + DIGEST);
        assertEquals(DIGEST, both.manifestReference(), "a digest wins over a tag");
        assertEquals("oci://ghcr.io/org/model:v2@" + DIGEST, both.shown());
        assertEquals("latest", OciReference.parse("oci://localhost:5000/model").tag());
        assertEquals(new OciReference("[::1]", 5000, "m", "t", null), OciReference.parse("oci://[::1]:5000/m:t"));
        assertEquals("registry.example.com", OciReference.parse("oci://Registry.Example.com/m:t").host());
    }

    @Test
    void aFirstComponentThatIsNoHostMeansDockerHub() {
        assertEquals(new OciReference("registry-1.docker.io", -1, "rhuss/kserving-example-sklearn", "1.0", null),
                OciReference.parse("oci://rhuss/kserving-example-sklearn:1.0"));
        assertEquals(new OciReference("registry-1.docker.io", -1, "library/busybox", "latest", null), OciReference.parse("oci://busybox"));
    }

    @Test
    void malformedReferencesAreRefusedWithoutEchoingThem() {
        for (String bad : new String[]{"oci://h.io/Upper/case:1", "oci://h.io/m:bad tag", "oci://h.io/m@sha256:abc", "oci://h.io/m@md5:"
                + "0".repeat(32), "oci://h.io:99999/m:1", "oci://h.io:x/m:1", "oci://user:secret@h.io/m:1", "oci://h_o.io/m:1",
                "oci://h.io/../m:1", "oci://h.io/m/:1", "oci://" + "a".repeat(1100)}) {
            KilnError e = assertThrows(KilnError.class, () -> OciReference.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("field 'url' is not a valid oci:// reference: "), e.getMessage());
            assertFalse(e.getMessage().contains("secret"), e.getMessage());
        }
    }

    @Test
    void onlyADigestPinsTheContent() {
        assertTrue(OciReference.pinsDigest("oci://h.io/m@" + DIGEST));
        assertFalse(OciReference.pinsDigest("oci://h.io/m:1"));
        assertFalse(OciReference.pinsDigest("https://h.io/m.onnx"));
    }
}
