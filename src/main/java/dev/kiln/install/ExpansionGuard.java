package dev.kiln.install;

import java.util.function.LongSupplier;

/**
 * How far one archive may expand, checked before a byte is written and again while writing: at most
 * {@code maxRatio} times the archive's own size in total (a zip bomb is 1,000:1 and more; ONNX
 * weights compress 1.1-3:1, tokenizers and vocabularies 3-5:1), at most {@code maxBytes}, and never
 * so far that the repository's disk keeps less than {@code minFreeDisk} free. Sizes an archive
 * declares (a zip's central directory, a tar entry's header) are checked before the entry is
 * written; what is actually written is counted too, since a declaration can lie.
 */
final class ExpansionGuard {

    /** Entries this small are not held to the per-entry ratio (a padding file of zeros is harmless); the total still counts them. */
    static final long SMALL_ENTRY = 1 << 20;
    /** Free space is asked for again after this many bytes written. */
    static final long DISK_POLL_BYTES = 8 << 20;

    private final long archiveBytes;
    private final long maxBytes;
    private final int maxRatio;
    private final long minFreeDisk;
    private final LongSupplier freeSpace;
    private long declared;
    private long written;
    private long sincePoll;

    ExpansionGuard(long archiveBytes, long maxBytes, int maxRatio, long minFreeDisk, LongSupplier freeSpace) {
        this.archiveBytes = Math.max(1, archiveBytes);
        this.maxBytes = maxBytes;
        this.maxRatio = maxRatio;
        this.minFreeDisk = minFreeDisk;
        this.freeSpace = freeSpace;
    }

    /** Bytes the archive says it will add (all of it for a zip, one entry at a time for a tar), before they are written. */
    void declare(long bytes) throws InstallStepException {
        declared += Math.max(0, bytes);
        checkTotal(declared, "would expand to");
        long free = freeSpace.getAsLong();
        long after = free - (declared - written);
        if (after < minFreeDisk) {
            throw new InstallStepException("unpacking " + bytes(declared) + " would leave " + bytes(Math.max(0, after))
                    + " free in the repository, less than ai.models.health.min-free-disk-bytes (" + bytes(minFreeDisk) + ")");
        }
    }

    /** One entry's own ratio, where the archive says what the entry takes compressed (zip). */
    void entry(String name, long size, long compressed) throws InstallStepException {
        if (size > SMALL_ENTRY && compressed >= 0 && size > (double) maxRatio * Math.max(1, compressed)) {
            throw new InstallStepException("archive entry '" + name + "' expands from " + bytes(compressed) + " to " + bytes(size)
                    + " (" + ratio(size, compressed) + ":1), more than ai.models.install.max-expansion-ratio (" + maxRatio + ":1)");
        }
    }

    /** Counts bytes about to be written. */
    void wrote(int n) throws InstallStepException {
        written += n;
        sincePoll += n;
        checkTotal(written, "expanded to more than");
        if (sincePoll >= DISK_POLL_BYTES) {
            sincePoll = 0;
            long free = freeSpace.getAsLong();
            if (free < minFreeDisk) {
                throw new InstallStepException("free space in the repository fell to " + bytes(free) + " after unpacking "
                        + bytes(written) + ", under ai.models.health.min-free-disk-bytes (" + bytes(minFreeDisk) + ")");
            }
        }
    }

    long written() {
        return written;
    }

    private void checkTotal(long total, String verb) throws InstallStepException {
        if (total > (double) maxRatio * archiveBytes) {
            throw new InstallStepException("the archive " + verb + " " + bytes(total) + " from " + bytes(archiveBytes) + " ("
                    + ratio(total, archiveBytes) + ":1), more than ai.models.install.max-expansion-ratio (" + maxRatio + ":1)");
        }
        if (total > maxBytes) {
            throw new InstallStepException("the archive " + verb + " " + bytes(total) + ", more than ai.models.install.max-bytes ("
                    + bytes(maxBytes) + ")");
        }
    }

    private static long ratio(long expanded, long compressed) {
        return expanded / Math.max(1, compressed);
    }

    static String bytes(long n) {
        return n < 10L << 20 ? n + " bytes" : n + " bytes (" + (n >> 20) + " MiB)";
    }
}
