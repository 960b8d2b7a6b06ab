package dev.kiln.embeddings;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tokenizer, the version of the file it was read from, and who holds it: the table of opened
 * tokenizers while it is the current one, and each request while it encodes. Its native memory is
 * freed when the last holder lets go, so a replaced tokenizer is closed once no request uses it, and
 * never under one (closing it while Rust encodes would free memory still being read).
 */
final class OpenedTokenizer {

    private final Path file;
    private final long modified;
    private final long size;
    /** The file's identity (its inode): a replace by rename with the same size and time is still a new file. */
    private final Object fileKey;
    private final HuggingFaceTokenizer tokenizer;
    /** The table's hold and the requests'; 0 once closed, and then it never rises again. */
    private final AtomicInteger holds = new AtomicInteger(1);

    OpenedTokenizer(Path file, BasicFileAttributes version, HuggingFaceTokenizer tokenizer) {
        this.file = file;
        this.modified = version.lastModifiedTime().toMillis();
        this.size = version.size();
        this.fileKey = version.fileKey();
        this.tokenizer = tokenizer;
    }

    /** Read from this very version of the file. */
    boolean readFrom(Path file, BasicFileAttributes now) {
        return this.file.equals(file) && modified == now.lastModifiedTime().toMillis() && size == now.size()
                && Objects.equals(fileKey, now.fileKey());
    }

    /** One more holder; false when it was closed already (the caller looks up the current one again). */
    boolean hold() {
        int n;
        do {
            n = holds.get();
            if (n == 0) {
                return false;
            }
        } while (!holds.compareAndSet(n, n + 1));
        return true;
    }

    /** One holder fewer; the last one closes it. */
    void release() {
        if (holds.decrementAndGet() == 0) {
            tokenizer.close();
        }
    }

    boolean closed() {
        return holds.get() == 0;
    }

    /** Only while held. */
    HuggingFaceTokenizer tokenizer() {
        return tokenizer;
    }
}
