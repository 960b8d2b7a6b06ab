package dev.kiln.install;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Archive bombs against the real unpacker on the real disk: each is refused naming its numbers,
 * after writing at most a bounded amount (measured from the files it left; the installer then
 * removes its staging directory).
 */
class ArchiveUnpackerTest {

    static final long GIB = 1L << 30;
    static final long MIB = 1L << 20;
    /** A bomb's expanded size: 256 MiB of zeros compress to about 256 KB, the same 1,000:1 as the 3 GiB one found. */
    static final long BOMB = 256 * MIB;
    static final ArchiveUnpacker.Limits DEFAULTS = new ArchiveUnpacker.Limits(4 * GIB, 100, GIB);

    @TempDir
    Path tmp;

    Path archive(byte[] bytes) throws IOException {
        return Files.write(tmp.resolve("download"), bytes);
    }

    static long written(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    @Test
    void aZipBombIsRefusedBeforeAByteIsWritten() throws Exception {
        byte[] bomb = Bombs.zip(1, BOMB);
        Path model = tmp.resolve("model");
        InstallStepException e = assertThrows(InstallStepException.class,
                () -> ArchiveUnpacker.unpack(archive(bomb), model, DEFAULTS));
        System.out.printf("zip bomb: %d bytes -> 256 MiB, wrote %d bytes: %s%n", bomb.length, written(model), e.getMessage());
        assertTrue(e.getMessage().startsWith("archive entry 'model.onnx' expands from "), e.getMessage());
        assertTrue(e.getMessage().contains(" to " + BOMB + " bytes (256 MiB)") && e.getMessage().contains("max-expansion-ratio (100:1)"),
                e.getMessage());
        assertEquals(0, written(model));
    }

    @Test
    void manySmallEntriesCountTogether() throws Exception {
        byte[] bomb = Bombs.zip(120, MIB);      // each entry is small enough to pass alone; 120 MiB together
        Path model = tmp.resolve("model");
        InstallStepException e = assertThrows(InstallStepException.class,
                () -> ArchiveUnpacker.unpack(archive(bomb), model, DEFAULTS));
        assertTrue(e.getMessage().startsWith("the archive would expand to " + 120 * MIB + " bytes (120 MiB) from " + bomb.length),
                e.getMessage());
        assertEquals(0, written(model));
    }

    /** A FIFO entry was written as an empty regular file. */
    @Test
    void aFifoOrADeviceInATarIsRefused() throws Exception {
        for (byte type : new byte[]{org.apache.commons.compress.archivers.tar.TarConstants.LF_FIFO,
                org.apache.commons.compress.archivers.tar.TarConstants.LF_CHR}) {
            java.io.ByteArrayOutputStream tgz = new java.io.ByteArrayOutputStream();
            try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(
                    new org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream(tgz))) {
                tar.putArchiveEntry(new org.apache.commons.compress.archivers.tar.TarArchiveEntry("pipe", type));
                tar.closeArchiveEntry();
            }
            Path model = tmp.resolve("model-" + type);
            InstallStepException e = assertThrows(InstallStepException.class,
                    () -> ArchiveUnpacker.unpack(archive(tgz.toByteArray()), model, DEFAULTS));
            assertTrue(e.getMessage().contains("pipe, neither a file nor a directory"), e.getMessage());
        }
    }

    @Test
    void aTarGzBombIsRefusedBeforeItsEntryIsWritten() throws Exception {
        byte[] bomb = Bombs.tarGz(BOMB);
        Path model = tmp.resolve("model");
        InstallStepException e = assertThrows(InstallStepException.class,
                () -> ArchiveUnpacker.unpack(archive(bomb), model, DEFAULTS));
        System.out.printf("tar.gz bomb: %d bytes -> 256 MiB, wrote %d bytes: %s%n", bomb.length, written(model), e.getMessage());
        assertTrue(e.getMessage().contains("would expand to " + BOMB + " bytes (256 MiB) from " + bomb.length + " bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("max-expansion-ratio (100:1)"), e.getMessage());
        assertEquals(0, written(model));
    }

    @Test
    void aZipThatUnderstatesItsSizeStopsAtWhatItDeclared() throws Exception {
        byte[] liar = Bombs.lyingZip(BOMB, 1000);
        Path model = tmp.resolve("model");
        InstallStepException e = assertThrows(InstallStepException.class,
                () -> ArchiveUnpacker.unpack(archive(liar), model, DEFAULTS));
        long wrote = written(model);
        System.out.printf("lying zip: %d bytes claiming 1000, wrote %d bytes: %s%n", liar.length, wrote, e.getMessage());
        assertTrue(e.getMessage().contains("holds more than the 1000 bytes it declares"), e.getMessage());
        assertTrue(wrote <= 1000, "wrote " + wrote);
    }

    @Test
    void anArchiveThatWouldFillTheDiskIsRefusedFirst() throws Exception {
        byte[] archive = Bombs.tarGz(64 * MIB);
        Path model = tmp.resolve("model");
        Files.createDirectories(model);
        long free = Files.getFileStore(tmp).getUsableSpace();
        // Keep all but 32 MiB of this disk free: the 64 MiB entry does not fit (ratio allowed, so only the disk speaks).
        ArchiveUnpacker.Limits limits = new ArchiveUnpacker.Limits(4 * GIB, 1_000_000, free - 32 * MIB);
        InstallStepException e = assertThrows(InstallStepException.class,
                () -> ArchiveUnpacker.unpack(archive(archive), model, limits));
        assertTrue(e.getMessage().startsWith("unpacking " + 64 * MIB + " bytes (64 MiB) would leave"), e.getMessage());
        assertTrue(e.getMessage().contains("less than ai.models.health.min-free-disk-bytes"), e.getMessage());
        assertEquals(0, written(model));
    }

    /** The disk fills from elsewhere while unpacking: stops within one poll interval of noticing. */
    @Test
    void unpackingStopsWhenFreeSpaceDropsUnderTheMinimum() throws Exception {
        byte[] archive = Bombs.tarGz(64 * MIB);
        Path model = tmp.resolve("model");
        long min = GIB;
        AtomicInteger asked = new AtomicInteger();
        // Plenty at the start; then another writer takes the disk down to half the minimum.
        ArchiveUnpacker.Limits limits = new ArchiveUnpacker.Limits(4 * GIB, 1_000_000, min);
        InstallStepException e = assertThrows(InstallStepException.class, () -> ArchiveUnpacker.unpack(archive(archive), model, limits,
                () -> asked.getAndIncrement() == 0 ? 100 * GIB : min / 2));
        long wrote = written(model);
        assertTrue(e.getMessage().startsWith("free space in the repository fell to " + min / 2 + " bytes (512 MiB) after unpacking"),
                e.getMessage());
        assertTrue(wrote <= ExpansionGuard.DISK_POLL_BYTES, "wrote " + wrote);
    }

    @Test
    void ordinaryArchivesStillUnpack() throws Exception {
        byte[] weights = new byte[3 * (int) MIB];
        new java.util.Random(7).nextBytes(weights);      // weights barely compress
        java.io.ByteArrayOutputStream zip = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(zip)) {
            z.putNextEntry(new java.util.zip.ZipEntry("pkg/model.onnx"));
            z.write(weights);
            z.closeEntry();
            z.putNextEntry(new java.util.zip.ZipEntry("pkg/padding.txt"));  // small and very compressible: exempt alone
            z.write(new byte[512 * 1024]);
            z.closeEntry();
        }
        Path model = tmp.resolve("model");
        ArchiveUnpacker.unpack(archive(zip.toByteArray()), model, DEFAULTS);
        assertEquals(weights.length, Files.size(model.resolve("model.onnx")));
        assertEquals(512 * 1024, Files.size(model.resolve("padding.txt")));
    }
}
