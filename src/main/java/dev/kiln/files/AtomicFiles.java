package dev.kiln.files;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Writes that a crash cannot tear: temp file in the same directory, fsync, atomic rename, fsync of
 * the directory so the rename itself survives a power cut.
 */
public final class AtomicFiles {

    /** Prefix of every temporary file or directory Kiln makes inside the repository. */
    public static final String TEMP_PREFIX = ".kiln-tmp-";

    private AtomicFiles() {
    }

    public static void write(Path target, byte[] content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path temp = dir.resolve(TEMP_PREFIX + target.getFileName() + "-" + UUID.randomUUID());
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.wrap(content);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        } catch (IOException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            // The target cannot be replaced (a folder where the file goes, say): nothing half-written stays behind.
            Files.deleteIfExists(temp);
            throw e;
        }
        syncDirectory(dir);
    }

    public static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems refuse fsync on a directory; the rename is still atomic there.
        }
    }

    /**
     * Removes the half-written temp files a writer killed before its rename left in {@code dir}
     * (files only: directories there are other writers' staging). The caller holds the lock that
     * every writer of that directory's files holds, so none of them is being written now.
     */
    public static void deleteTempFiles(Path dir) {
        try (java.util.stream.Stream<Path> entries = Files.list(dir)) {
            for (Path p : entries.filter(p -> p.getFileName().toString().startsWith(TEMP_PREFIX) && Files.isRegularFile(p)).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            // A directory that cannot be listed has nothing to clean that this could reach.
        }
    }
}
