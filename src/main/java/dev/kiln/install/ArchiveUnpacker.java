package dev.kiln.install;

import dev.kiln.errors.ClientText;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collections;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Turns a download into a model directory: a tar.gz or zip holding {@code model.onnx} (at its top
 * or inside one top-level folder) and side files is unpacked; anything else is the model itself.
 * Entries that would land outside the directory, links, and contents that expand too far (see
 * {@link ExpansionGuard}) are refused.
 */
final class ArchiveUnpacker {

    static final int MAX_ENTRIES = 10_000;

    private ArchiveUnpacker() {
    }

    /** What bounds the expansion (see {@link ExpansionGuard}). */
    record Limits(long maxBytes, int maxRatio, long minFreeDisk) {
    }

    static void unpack(Path download, Path modelDir, Limits limits) throws IOException, InstallStepException {
        Files.createDirectories(modelDir);
        unpack(download, modelDir, limits, freeSpace(modelDir));
    }

    /** The free space of the disk {@code dir} is on, asked each time. */
    static LongSupplier freeSpace(Path dir) throws IOException {
        FileStore store = Files.getFileStore(dir);
        return () -> usable(store);
    }

    /** As above, with the free space of the model directory's disk asked from {@code freeSpace}. */
    static void unpack(Path download, Path modelDir, Limits limits, LongSupplier freeSpace) throws IOException, InstallStepException {
        Files.createDirectories(modelDir);
        byte[] head = new byte[4];
        try (InputStream in = Files.newInputStream(download)) {
            int n = in.readNBytes(head, 0, 4);
            if (n < 4) {
                head = new byte[4];
            }
        }
        if ((head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
            untar(download, modelDir, guard(download, limits, freeSpace));
        } else if (head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
            unzip(download, modelDir, guard(download, limits, freeSpace));
        } else {
            Files.move(download, modelDir.resolve("model.onnx"), StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        hoistSingleFolder(modelDir);
        if (!Files.isRegularFile(modelDir.resolve("model.onnx"))) {
            throw new InstallStepException("the archive has no model.onnx at its top level (or in its one top-level folder)");
        }
    }

    private static ExpansionGuard guard(Path archive, Limits limits, LongSupplier freeSpace) throws IOException {
        return guard(Files.size(archive), limits, freeSpace);
    }

    /** The bounds of one archive (or image layer) of {@code archiveBytes}. */
    static ExpansionGuard guard(long archiveBytes, Limits limits, LongSupplier freeSpace) {
        return new ExpansionGuard(archiveBytes, limits.maxBytes(), limits.maxRatio(), limits.minFreeDisk(), freeSpace);
    }

    private static long usable(FileStore store) {
        try {
            return store.getUsableSpace();
        } catch (IOException e) {
            return Long.MAX_VALUE;    // no answer is no reason to stop; the size bounds still hold
        }
    }

    /** One gzip stream: no entry's compressed size is known, so each entry's declared size counts against the whole. */
    private static void untar(Path archive, Path dir, ExpansionGuard guard) throws IOException, InstallStepException {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(
                new BufferedInputStream(Files.newInputStream(archive))))) {
            int count = 0;
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                if (++count > MAX_ENTRIES) {
                    throw new InstallStepException("the archive has more than " + MAX_ENTRIES + " entries");
                }
                if (e.isSymbolicLink() || e.isLink()) {
                    throw new InstallStepException("the archive holds a link (" + ClientText.printable(e.getName(), 100) + "); links are not allowed");
                }
                // A FIFO or a device became an empty regular file: say so rather than install what the archive did not hold.
                if (e.isFIFO() || e.isCharacterDevice() || e.isBlockDevice()) {
                    throw new InstallStepException("the archive holds " + ClientText.printable(e.getName(), 100)
                            + ", neither a file nor a directory (a FIFO or a device); only files and directories are allowed");
                }
                Path target = safeTarget(dir, e.getName());
                if (target != null) {
                    guard.declare(e.isDirectory() ? 0 : e.getSize());
                    extract(tar, e.getName(), e.getSize(), e.isDirectory(), target, guard);
                }
            }
        }
    }

    /** The central directory says what every entry expands to: all of it is checked before a byte is written. */
    private static void unzip(Path archive, Path dir, ExpansionGuard guard) throws IOException, InstallStepException {
        try (ZipFile zip = new ZipFile(archive.toFile())) {
            List<? extends ZipEntry> entries = Collections.list(zip.entries());
            if (entries.size() > MAX_ENTRIES) {
                throw new InstallStepException("the archive has more than " + MAX_ENTRIES + " entries");
            }
            long declared = 0;
            for (ZipEntry e : entries) {
                guard.entry(ClientText.printable(e.getName(), 100), e.getSize(), e.getCompressedSize());
                declared += Math.max(0, e.getSize());
            }
            guard.declare(declared);
            for (ZipEntry e : entries) {
                Path target = safeTarget(dir, e.getName());
                if (target != null) {
                    try (InputStream in = zip.getInputStream(e)) {
                        extract(in, e.getName(), e.getSize(), e.isDirectory(), target, guard);
                    }
                }
            }
        }
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

    private static void extract(InputStream in, String name, long declared, boolean directory, Path target, ExpansionGuard guard)
            throws IOException, InstallStepException {
        if (directory) {
            Files.createDirectories(target);
            return;
        }
        Files.createDirectories(target.getParent());
        write(in, name, declared, target, guard);
    }

    /** Writes one file entry, held to what it declares (when it does) and to the guard's bounds. */
    static void write(InputStream in, String name, long declared, Path target, ExpansionGuard guard)
            throws IOException, InstallStepException {
        byte[] buf = new byte[64 * 1024];
        long entryBytes = 0;
        try (var out = Files.newOutputStream(target)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                entryBytes += n;
                if (declared >= 0 && entryBytes > declared) {
                    throw new InstallStepException("archive entry '" + ClientText.printable(name, 100) + "' holds more than the "
                            + declared + " bytes it declares");
                }
                guard.wrote(n);
                out.write(buf, 0, n);
            }
        }
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
