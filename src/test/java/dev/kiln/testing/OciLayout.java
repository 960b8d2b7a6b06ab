package dev.kiln.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes an OCI image layout (oci-layout, index.json, blobs/sha256/...) the way the image spec
 * describes it, so skopeo can push what a test built: modelcar images, artifacts, indexes.
 */
public final class OciLayout {

    public static final String LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
    public static final String LAYER_TAR_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String INDEX = "application/vnd.oci.image.index.v1+json";

    /** A blob written to the layout, with what a descriptor of it says. */
    public record Blob(String mediaType, String digest, long size, Map<String, Object> extra, String diffId) {
        public Map<String, Object> descriptor() {
            Map<String, Object> d = new LinkedHashMap<>(Map.of("mediaType", mediaType, "digest", digest, "size", size));
            d.putAll(extra);
            return d;
        }

        public String hex() {
            return digest.substring("sha256:".length());
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final List<Map<String, Object>> tags = new ArrayList<>();

    public OciLayout(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir.resolve("blobs/sha256"));
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    }

    public Path dir() {
        return dir;
    }

    public Blob blob(String mediaType, byte[] bytes, Map<String, Object> extra, String diffId) throws IOException {
        String hex = ModelServer.sha256(bytes);
        Files.write(dir.resolve("blobs/sha256/" + hex), bytes);
        return new Blob(mediaType, "sha256:" + hex, bytes.length, extra, diffId);
    }

    /** A tar layer, gzip-compressed or not; its diff_id is the digest of the uncompressed tar. */
    public Blob layer(Tar tar, boolean gzip) throws IOException {
        byte[] plain = tar.bytes();
        return blob(gzip ? LAYER_TAR_GZIP : LAYER_TAR, gzip ? gzip(plain) : plain, Map.of(), "sha256:" + ModelServer.sha256(plain));
    }

    /** One file as a layer, named by its title annotation, as {@code oras push} stores a file. */
    public Blob titledFile(String title, byte[] bytes) throws IOException {
        return blob(LAYER_TAR, bytes, Map.of("annotations", Map.of("org.opencontainers.image.title", title)), null);
    }

    /** An image config for linux/{@code arch} over these layers. */
    public Blob imageConfig(String arch, List<Blob> layers) throws IOException {
        Map<String, Object> config = Map.of("architecture", arch, "os", "linux", "config", Map.of(),
                "rootfs", Map.of("type", "layers", "diff_ids", layers.stream().map(Blob::diffId).toList()));
        return blob("application/vnd.oci.image.config.v1+json", JSON.writeValueAsBytes(config), Map.of(), null);
    }

    /** The empty config artifacts use (image spec 1.1). */
    public Blob emptyConfig() throws IOException {
        return blob("application/vnd.oci.empty.v1+json", "{}".getBytes(StandardCharsets.UTF_8), Map.of("data", "e30="), null);
    }

    public Blob manifest(Blob config, List<Blob> layers, String artifactType) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schemaVersion", 2);
        m.put("mediaType", MANIFEST);
        if (artifactType != null) {
            m.put("artifactType", artifactType);
        }
        m.put("config", config.descriptor());
        m.put("layers", layers.stream().map(Blob::descriptor).toList());
        return blob(MANIFEST, JSON.writeValueAsBytes(m), Map.of(), null);
    }

    /** An index over manifests, each given with its platform ("linux/amd64"). */
    public Blob index(Map<Blob, String> manifests) throws IOException {
        List<Map<String, Object>> entries = new ArrayList<>();
        manifests.forEach((m, platform) -> {
            Map<String, Object> d = m.descriptor();
            String[] p = platform.split("/");
            d.put("platform", Map.of("os", p[0], "architecture", p[1]));
            entries.add(d);
        });
        return blob(INDEX, JSON.writeValueAsBytes(Map.of("schemaVersion", 2, "mediaType", INDEX, "manifests", entries)), Map.of(), null);
    }

    /** Names a manifest or index in index.json, where {@code oci:<dir>:<tag>} finds it. */
    public OciLayout tag(String tag, Blob target) throws IOException {
        Map<String, Object> d = target.descriptor();
        d.put("annotations", Map.of("org.opencontainers.image.ref.name", tag));
        tags.add(d);
        Files.write(dir.resolve("index.json"), JSON.writeValueAsBytes(Map.of("schemaVersion", 2, "mediaType", INDEX, "manifests", tags)));
        return this;
    }

    static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream gz = new GzipCompressorOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** A tar built entry by entry, including the kinds a layer may hold: links, devices, whiteouts. */
    public static final class Tar {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final TarArchiveOutputStream tar = new TarArchiveOutputStream(out);

        public Tar() {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        }

        public Tar dir(String name) throws IOException {
            tar.putArchiveEntry(new TarArchiveEntry(name.endsWith("/") ? name : name + "/"));
            tar.closeArchiveEntry();
            return this;
        }

        public Tar file(String name, byte[] bytes) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name);
            e.setSize(bytes.length);
            tar.putArchiveEntry(e);
            tar.write(bytes);
            tar.closeArchiveEntry();
            return this;
        }

        public Tar symlink(String name, String target) throws IOException {
            return special(name, TarConstants.LF_SYMLINK, target);
        }

        public Tar hardlink(String name, String target) throws IOException {
            return special(name, TarConstants.LF_LINK, target);
        }

        public Tar charDevice(String name) throws IOException {
            return special(name, TarConstants.LF_CHR, null);
        }

        private Tar special(String name, byte kind, String target) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name, kind);
            if (target != null) {
                e.setLinkName(target);
            }
            tar.putArchiveEntry(e);
            tar.closeArchiveEntry();
            return this;
        }

        public byte[] bytes() throws IOException {
            tar.finish();
            tar.close();
            return out.toByteArray();
        }
    }
}
