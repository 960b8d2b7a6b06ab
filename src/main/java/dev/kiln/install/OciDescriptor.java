package dev.kiln.install;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.errors.ClientText;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/** What a manifest says about one blob or one child manifest: its type, digest, size, annotations and platform. */
record OciDescriptor(String mediaType, String digest, long size, Map<String, String> annotations, String platform) {

    static final String TITLE = "org.opencontainers.image.title";
    /** oras's mark on a layer that is a directory packed as tar+gzip (its entries start with the title). */
    static final String ORAS_UNPACK = "io.deis.oras.content.unpack";
    private static final Pattern SHA256 = Pattern.compile("sha256:[a-f0-9]{64}");

    static OciDescriptor read(JsonNode node, String where) throws InstallStepException {
        if (node == null || !node.isObject()) {
            throw new InstallStepException("the manifest's " + where + " is not a descriptor object");
        }
        String digest = node.path("digest").asText("");
        if (!SHA256.matcher(digest).matches()) {
            throw new InstallStepException("the manifest's " + where + " has digest '" + shorten(digest)
                    + "': only sha256 digests are supported");
        }
        JsonNode size = node.path("size");
        if (!size.canConvertToLong() || size.asLong() < 0) {
            throw new InstallStepException("the manifest's " + where + " has no valid size");
        }
        Map<String, String> annotations = new LinkedHashMap<>();
        node.path("annotations").properties().forEach(e -> annotations.put(e.getKey(), e.getValue().asText()));
        JsonNode p = node.path("platform");
        String platform = p.isObject() ? p.path("os").asText("") + "/" + p.path("architecture").asText("") : null;
        return new OciDescriptor(node.path("mediaType").asText(""), digest, size.asLong(), annotations, platform);
    }

    /** The hex part, as the install job and the model's manifest record a sha256. */
    String hex() {
        return digest.substring("sha256:".length());
    }

    String title() {
        return annotations.get(TITLE);
    }

    /** A single file as oras pushes one: a title, and no mark saying it is a packed directory. */
    boolean isTitledFile() {
        return title() != null && !"true".equalsIgnoreCase(annotations.get(ORAS_UNPACK));
    }

    /** Buildx adds attestation manifests to an index; they are not images of any platform. */
    boolean isAttestation() {
        return "attestation-manifest".equals(annotations.get("vnd.docker.reference.type")) || "unknown/unknown".equals(platform);
    }

    static String shorten(String s) {
        return ClientText.printable(s, 80);
    }
}
