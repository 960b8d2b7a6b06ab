package dev.kiln.install;

import dev.kiln.catalog.ModelRepository;
import dev.kiln.errors.ClientText;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Lays an image's or an artifact's layers, in order, into a model directory the way a container
 * runtime lays them into a file system, keeping only the part that is the model: for a modelcar
 * image what is under {@code /models} (KServe's layout; the base system around it is read past),
 * for an artifact everything. Whiteouts ({@code .wh.<name>}, {@code .wh..wh..opq}) remove what lower
 * layers put there. Links, devices and fifos in the kept part are refused, and so is any entry,
 * kept or not, whose name is absolute or climbs with "..": a layer that tries is not trusted at all.
 */
final class OciLayerApplier {

    private static final String MODELS = "models";
    private static final String WHITEOUT = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";

    private final Path modelDir;
    private final boolean modelcar;
    private final ArchiveUnpacker.Limits limits;
    private final long maxBytes;
    /** Every entry's bytes, kept or read past: the layers may not unpack to more than max-bytes. */
    private long total;
    private int kept;
    private boolean sawModels;

    OciLayerApplier(Path modelDir, boolean modelcar, ArchiveUnpacker.Limits limits) throws IOException {
        this.modelDir = Files.createDirectories(modelDir);
        this.modelcar = modelcar;
        this.limits = limits;
        this.maxBytes = limits.maxBytes();
    }

    /** A tar layer, plain or gzip-compressed (told by its first bytes, not its media type). */
    void applyTar(Path blob, String digest) throws IOException, InstallStepException {
        // A layer is an archive like any other: held to the expansion ratio and the free disk (ExpansionGuard).
        ExpansionGuard guard = ArchiveUnpacker.guard(Files.size(blob), limits, ArchiveUnpacker.freeSpace(modelDir));
        try (TarArchiveInputStream tar = new TarArchiveInputStream(decompressed(blob, digest))) {
            Set<Path> written = new HashSet<>();
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                String name = entryName(e.getName(), digest);
                if (modelcar && name.equals(WHITEOUT + MODELS)) {
                    clear(modelDir);
                    continue;
                }
                String relative = modelcar ? underModels(name) : name;
                if (relative == null) {
                    count(e.getSize());
                    continue;
                }
                apply(tar, e, relative, written, digest, guard);
            }
        }
    }

    /** A layer that is one file, named by its title annotation (as oras pushes a file). */
    void applyFile(Path blob, String title, String digest) throws IOException, InstallStepException {
        Path target = ArchiveUnpacker.safeTarget(modelDir, entryName(title, digest));
        if (target == null) {
            throw new InstallStepException("layer " + digest + " has the title '" + ClientText.printable(title, 100) + "', which names no file");
        }
        keep();
        count(Files.size(blob));
        replaceWithDirectory(target.getParent());
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            ModelRepository.deleteTree(target);
        }
        Files.move(blob, target, StandardCopyOption.REPLACE_EXISTING);
    }

    /** After the last layer: the model directory must hold model.onnx (at its top, or in its one folder). */
    void finish() throws IOException, InstallStepException {
        if (modelcar && !sawModels) {
            throw new InstallStepException("the image has no /models directory: a modelcar image keeps its model files under /models "
                    + "(KServe's layout), or push the model as an artifact");
        }
        ArchiveUnpacker.hoistSingleFolder(modelDir);
        if (!Files.isRegularFile(modelDir.resolve("model.onnx"), LinkOption.NOFOLLOW_LINKS)) {
            throw new InstallStepException(modelcar ? "the image's /models holds no model.onnx (at its top or in its one folder)"
                    : "the artifact holds no model.onnx (at its top or in its one folder)");
        }
    }

    private void apply(TarArchiveInputStream tar, TarArchiveEntry e, String relative, Set<Path> written, String digest,
                       ExpansionGuard guard) throws IOException, InstallStepException {
        int slash = relative.lastIndexOf('/');
        String base = relative.substring(slash + 1);
        String parent = slash < 0 ? "" : relative.substring(0, slash);
        if (base.equals(OPAQUE)) {
            Path dir = parent.isEmpty() ? modelDir : ArchiveUnpacker.safeTarget(modelDir, parent);
            if (dir != null && Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                prune(dir, written);
            }
            return;
        }
        if (base.startsWith(WHITEOUT)) {
            if (base.length() == WHITEOUT.length()) {
                return;
            }
            Path gone = ArchiveUnpacker.safeTarget(modelDir, (parent.isEmpty() ? "" : parent + "/") + base.substring(WHITEOUT.length()));
            if (gone != null && Files.exists(gone, LinkOption.NOFOLLOW_LINKS)) {
                ModelRepository.deleteTree(gone);
            }
            return;
        }
        if (e.isSymbolicLink() || e.isLink()) {
            throw new InstallStepException("layer " + digest + " holds a link (" + ClientText.printable(e.getName(), 100) + "); links are not allowed");
        }
        if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO() || !(e.isDirectory() || e.isFile())) {
            throw new InstallStepException("layer " + digest + " holds a device, fifo or other special file ("
                    + ClientText.printable(e.getName(), 100) + "); only files and directories are allowed");
        }
        Path target = ArchiveUnpacker.safeTarget(modelDir, relative);
        if (target == null) {
            return;
        }
        keep();
        if (e.isDirectory()) {
            replaceWithDirectory(target);
        } else {
            replaceWithDirectory(target.getParent());
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                ModelRepository.deleteTree(target);
            }
            count(e.getSize());
            guard.declare(e.getSize());
            ArchiveUnpacker.write(tar, relative, e.getSize(), target, guard);
        }
        written.add(target);
    }

    /** The entry's name without a leading "./" or trailing "/"; refused when absolute or climbing. */
    private static String entryName(String raw, String digest) throws InstallStepException {
        String name = raw;
        while (name.startsWith("./")) {
            name = name.substring(2);
        }
        List<String> parts = Arrays.asList(name.split("/"));
        if (name.startsWith("/") || name.contains("\\") || parts.contains("..")) {
            throw new InstallStepException("layer " + digest + " has the entry '" + ClientText.printable(raw, 100)
                    + "', an absolute path or one with '..'; such layers are refused");
        }
        return name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
    }

    /** The path below /models, or null for what is outside it (and for /models itself). */
    private String underModels(String name) {
        if (name.equals(MODELS)) {
            sawModels = true;
            return null;
        }
        if (name.startsWith(MODELS + "/")) {
            sawModels = true;
            return name.substring(MODELS.length() + 1);
        }
        return null;
    }

    /** An opaque directory: what lower layers put in it goes, what this layer wrote stays. */
    private static void prune(Path dir, Set<Path> written) throws IOException {
        try (var children = Files.list(dir)) {
            for (Path child : children.toList()) {
                if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
                    prune(child, written);
                    if (!written.contains(child) && isEmpty(child)) {
                        Files.delete(child);
                    }
                } else if (!written.contains(child)) {
                    Files.delete(child);
                }
            }
        }
    }

    private static void clear(Path dir) throws IOException {
        try (var children = Files.list(dir)) {
            for (Path child : children.toList()) {
                ModelRepository.deleteTree(child);
            }
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (var children = Files.list(dir)) {
            return children.findAny().isEmpty();
        }
    }

    /** Makes {@code dir} a directory, replacing a file a lower layer left at that name (and at any parent's). */
    private void replaceWithDirectory(Path dir) throws IOException {
        Path at = modelDir;
        for (Path part : modelDir.relativize(dir)) {
            at = at.resolve(part);
            if (Files.exists(at, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(at, LinkOption.NOFOLLOW_LINKS)) {
                Files.delete(at);
            }
        }
        Files.createDirectories(dir);
    }

    private void keep() throws InstallStepException {
        if (++kept > ArchiveUnpacker.MAX_ENTRIES) {
            throw new InstallStepException("the layers hold more than " + ArchiveUnpacker.MAX_ENTRIES + " model files and directories");
        }
    }

    private void count(long bytes) throws InstallStepException {
        total += Math.max(0, bytes);
        if (total > maxBytes) {
            throw new InstallStepException("the layers unpack to more than ai.models.install.max-bytes (" + maxBytes + ")");
        }
    }

    private static InputStream decompressed(Path blob, String digest) throws IOException, InstallStepException {
        InputStream in = new BufferedInputStream(Files.newInputStream(blob), 64 * 1024);
        in.mark(4);
        byte[] head = in.readNBytes(4);
        in.reset();
        if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
            return new GzipCompressorInputStream(in, true);
        }
        if (head.length == 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f && (head[3] & 0xff) == 0xfd) {
            in.close();
            throw new InstallStepException("layer " + digest + " is zstd-compressed; push it with gzip or uncompressed layers");
        }
        return in;
    }
}
