package dev.kiln.install;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Archives that are small on disk and expand to a lot of zeros, written by the tests themselves. */
final class Bombs {

    private Bombs() {
    }

    /** A zip whose entries each expand to {@code entryBytes} zeros (about 1,000:1 each). */
    static byte[] zip(int entries, long entryBytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            for (int i = 0; i < entries; i++) {
                z.putNextEntry(new ZipEntry(i == 0 ? "model.onnx" : "weights-" + i + ".bin"));
                zeros(z, entryBytes);
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }

    /** A tar.gz holding model.onnx of {@code bytes} zeros. */
    static byte[] tarGz(long bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(out))) {
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            TarArchiveEntry e = new TarArchiveEntry("model.onnx");
            e.setSize(bytes);
            tar.putArchiveEntry(e);
            zeros(tar, bytes);
            tar.closeArchiveEntry();
        }
        return out.toByteArray();
    }

    /**
     * A zip whose central directory says its one entry expands to {@code claimed} bytes while it
     * holds {@code bytes} zeros: only counting what is written catches it.
     */
    static byte[] lyingZip(long bytes, int claimed) throws IOException {
        byte[] zip = zip(1, bytes);
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = zip.length - 46; i >= 0; i--) {
            if (b.getInt(i) == 0x02014b50) {          // central directory file header
                b.putInt(i + 24, claimed);            // uncompressed size
                return zip;
            }
        }
        throw new IllegalStateException("no central directory");
    }

    private static void zeros(OutputStream out, long bytes) throws IOException {
        byte[] block = new byte[1 << 20];
        for (long left = bytes; left > 0; left -= block.length) {
            out.write(block, 0, (int) Math.min(block.length, left));
        }
    }
}
