package dev.kiln.install;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A manifest as far as an install needs it. Five forms are read: the OCI image index and Docker's
 * manifest list (a platform is chosen from them), the OCI image manifest and Docker's schema 2
 * manifest (an image, or an artifact when it has an {@code artifactType} or a config that is not an
 * image's), and the short-lived OCI artifact manifest (its {@code blobs} are the layers).
 */
record OciManifest(Kind kind, String mediaType, OciDescriptor config, List<OciDescriptor> layers, List<OciDescriptor> manifests) {

    enum Kind { INDEX, IMAGE, ARTIFACT }

    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String OCI_ARTIFACT = "application/vnd.oci.artifact.manifest.v1+json";
    private static final List<String> TYPES = List.of(OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST, OCI_ARTIFACT);
    /** What a registry is told Kiln reads (a registry converts or refuses other forms). */
    static final String ACCEPT = String.join(", ", TYPES);
    private static final List<String> IMAGE_CONFIGS = List.of(
            "application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json");
    // A manifest that names a key twice could mean different layers to different readers: refused.
    private static final JsonMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    static OciManifest parse(byte[] body, String contentType) throws InstallStepException {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new InstallStepException("the registry's manifest is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InstallStepException("the registry's manifest cannot be read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new InstallStepException("the registry's manifest is not a JSON object");
        }
        String type = mediaType(root, contentType);
        if (root.path("schemaVersion").asInt() != 2) {
            throw new InstallStepException("the manifest has schemaVersion " + root.path("schemaVersion").asText("(none)")
                    + ": only schema 2 (OCI, Docker v2) manifests are supported; push with a current client");
        }
        return switch (type) {
            case OCI_INDEX, DOCKER_LIST -> new OciManifest(Kind.INDEX, type, null, List.of(), descriptors(root, "manifests"));
            case OCI_MANIFEST, DOCKER_MANIFEST -> image(root, type);
            case OCI_ARTIFACT -> new OciManifest(Kind.ARTIFACT, type, null, descriptors(root, "blobs"), List.of());
            default -> throw new InstallStepException("the registry answered a manifest of type '" + OciDescriptor.shorten(type)
                    + "'; Kiln reads OCI image manifests and indexes, OCI artifacts and Docker schema 2 manifests and lists");
        };
    }

    /** The header's type when it is one of ours, else the document's own field, else what its shape says. */
    private static String mediaType(JsonNode root, String contentType) {
        String header = contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        if (TYPES.contains(header)) {
            return header;
        }
        String field = root.path("mediaType").asText("");
        if (!field.isEmpty()) {
            return field;
        }
        return root.has("manifests") ? OCI_INDEX : root.has("layers") ? OCI_MANIFEST : header;
    }

    private static OciManifest image(JsonNode root, String type) throws InstallStepException {
        OciDescriptor config = OciDescriptor.read(root.get("config"), "config");
        boolean artifact = root.hasNonNull("artifactType") || !IMAGE_CONFIGS.contains(config.mediaType());
        return new OciManifest(artifact ? Kind.ARTIFACT : Kind.IMAGE, type, config, descriptors(root, "layers"), List.of());
    }

    private static List<OciDescriptor> descriptors(JsonNode root, String field) throws InstallStepException {
        JsonNode array = root.get(field);
        if (array == null || !array.isArray()) {
            throw new InstallStepException("the manifest has no '" + field + "' list");
        }
        List<OciDescriptor> out = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            out.add(OciDescriptor.read(array.get(i), field + "[" + i + "]"));
        }
        return out;
    }

    /**
     * The index entry to install: the only image in it (attestations aside), else linux/amd64. A
     * model's files do not depend on the platform, so any image would do; the choice is only made
     * predictable.
     */
    OciDescriptor pick() throws InstallStepException {
        List<OciDescriptor> images = manifests.stream().filter(m -> !m.isAttestation()).toList();
        if (images.size() == 1) {
            return images.get(0);
        }
        for (OciDescriptor m : images) {
            if ("linux/amd64".equals(m.platform())) {
                return m;
            }
        }
        throw new InstallStepException("the index holds " + images.size() + " images and none for linux/amd64 ("
                + images.stream().map(m -> String.valueOf(m.platform())).toList() + "): name one of them by digest");
    }
}
