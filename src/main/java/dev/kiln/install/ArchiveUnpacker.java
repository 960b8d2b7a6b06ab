package dev.kiln.install;

import dev.kiln.errors.ClientText;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Turns a download into a model directory: a tar.gz or zip holding {@code model.onnx} (at its top
 * or inside one top-level folder) and side files is unpacked; anything else is the model itself.
 * Entries that would land outside the directory, links and oversized contents are refused.
 */
final class ArchiveUnpacker {

    static final int MAX_ENTRIES = 10_000;

    private ArchiveUnpacker() {
    }

    static void unpack(Path download, Path modelDir, long maxBytes) throws IOException, InstallStepException {
        Files.createDirectories(modelDir);
        byte[] head = new byte[4];
        try (InputStream in = Files.newInputStream(download)) {
            int n = in.readNBytes(head, 0, 4);
            if (n < 4) {
                head = new byte[4];
            }
        }
        if ((head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
            untar(download, modelDir, maxBytes);
        } else if (head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
            unzip(download, modelDir, maxBytes);
        } else {
            Files.move(download, modelDir.resolve("model.onnx"), StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        hoistSingleFolder(modelDir);
        if (!Files.isRegularFile(modelDir.resolve("model.onnx"))) {
            throw new InstallStepException("the archive has no model.onnx at its top level (or in its one top-level folder)");
        }
    }

    private static void untar(Path archive, Path dir, long maxBytes) throws IOException, InstallStepException {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(
                new BufferedInputStream(Files.newInputStream(archive))))) {
            long total = 0;
            int count = 0;
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                if (++count > MAX_ENTRIES) {
                    throw new InstallStepException("the archive has more than " + MAX_ENTRIES + " entries");
                }
                if (e.isSymbolicLink() || e.isLink()) {
                    throw new InstallStepException("the archive holds a link (" + ClientText.printable(e.getName(), 100) + "); links are not allowed");
                }
                total = extract(tar, e.getName(), e.isDirectory(), dir, total, maxBytes);
            }
        }
    }

    private static void unzip(Path archive, Path dir, long maxBytes) throws IOException, InstallStepException {
        try (ZipInputStream zip = new ZipInputStream(new BufferedInputStream(Files.newInputStream(archive)))) {
            long total = 0;
            int count = 0;
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                if (++count > MAX_ENTRIES) {
                    throw new InstallStepException("the archive has more than " + MAX_ENTRIES + " entries");
                }
                total = extract(zip, e.getName(), e.isDirectory(), dir, total, maxBytes);
            }
        }
    }

    private static long extract(InputStream in, String name, boolean directory, Path dir, long total, long maxBytes)
            throws IOException, InstallStepException {
        Path target = safeTarget(dir, name);
        if (target == null) {
            return total;
        }
        if (directory) {
            Files.createDirectories(target);
            return total;
        }
        Files.createDirectories(target.getParent());
        return write(in, target, total, maxBytes);
    }

    /**
     * Where an entry named {@code name} lands inside {@code dir}, or null for the directory itself;
     * absolute names, backslashes and names that climb out (after normalising) are refused.
     */
    static Path safeTarget(Path dir, String name) throws InstallStepException {
        Path target = dir.resolve(name).normalize();
        if (target.equals(dir)) {
            return null;
        }
        if (name.startsWith("/") || name.contains("\\") || !target.startsWith(dir)) {
            throw new InstallStepException("the archive entry '" + ClientText.printable(name, 100) + "' would land outside the model directory");
        }
        return target;
    }

    /** Writes one entry, counting it into the running {@code total} that may not pass {@code maxBytes}. */
    static long write(InputStream in, Path target, long total, long maxBytes) throws IOException, InstallStepException {
        byte[] buf = new byte[64 * 1024];
        try (var out = Files.newOutputStream(target)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                total += n;
                if (total > maxBytes) {
                    throw new InstallStepException("unpacked contents pass ai.models.install.max-bytes (" + maxBytes + ")");
                }
                out.write(buf, 0, n);
            }
        }
        return total;
    }

    /** An archive of one folder holding model.onnx: its contents become the model directory. */
    static void hoistSingleFolder(Path dir) throws IOException {
        if (Files.exists(dir.resolve("model.onnx"))) {
            return;
        }
        try (var entries = Files.list(dir)) {
            var all = entries.toList();
            if (all.size() != 1 || !Files.isDirectory(all.get(0)) || !Files.exists(all.get(0).resolve("model.onnx"))) {
                return;
            }
            Path inner = all.get(0);
            try (var files = Files.list(inner)) {
                for (Path f : files.toList()) {
                    Files.move(f, dir.resolve(f.getFileName()));
                }
            }
            Files.delete(inner);
        }
    }
}
