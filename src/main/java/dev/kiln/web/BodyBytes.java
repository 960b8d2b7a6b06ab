package dev.kiln.web;

import io.netty.buffer.ByteBuf;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A request body's bytes as they come, made into the one array its resource method reads. Until a
 * sixteenth of its declared length has come, a body is kept in 64 KB pieces: made whole at its head,
 * heads that never sent a byte made the heap allocate 8 MB each, 50 a second, and it spent its time in
 * full collections. Once proven, it gets one array of its declared length and the rest is copied
 * straight in (growing a buffer by doubling instead cost PP-OCR det 640×640 bodies a third of their
 * throughput at 32 clients: a megabyte more copied and allocated each, half of it as humongous
 * objects). The stream it hands over gives that array itself to {@code readAllBytes}, which is how
 * RESTEasy Reactive reads a {@code byte[]} parameter: it used to copy the whole body once more.
 */
final class BodyBytes {

    static final int PIECE = 64 * 1024;
    /** Once this part of its declared length has come, a body gets room for all of it. */
    private static final int PROVEN_SHARE = 16;

    /** The declared length, or -1: a body of undeclared length stays in pieces until it ends. */
    private final long declared;
    private final List<byte[]> pieces = new ArrayList<>();
    private byte[] whole;
    private long length;

    BodyBytes(long declared) {
        this.declared = declared;
    }

    long length() {
        return length;
    }

    void append(ByteBuf chunk) {
        int n = chunk.readableBytes();
        if (whole == null && declared >= 0 && (length + n) * PROVEN_SHARE >= declared && length + n <= declared) {
            whole = joined((int) declared);
            pieces.clear();
        }
        if (whole != null) {
            if (length + n > whole.length) { // more than it declared: HTTP/1.1's parser stops at the length, so never yet
                whole = Arrays.copyOf(whole, (int) (length + n));
            }
            chunk.getBytes(chunk.readerIndex(), whole, (int) length, n);
        } else {
            toPieces(chunk, n);
        }
        length += n;
    }

    /** The body, once it has ended: read whole by {@code readAllBytes} without a copy. */
    ByteArrayInputStream stream() {
        byte[] bytes = whole != null && whole.length == length ? whole : joined((int) length);
        return new Handed(bytes);
    }

    private void toPieces(ByteBuf chunk, int n) {
        int from = chunk.readerIndex();
        int done = 0;
        while (done < n) {
            int used = (int) ((length + done) % PIECE);
            if (used == 0) {
                pieces.add(new byte[PIECE]);
            }
            int step = Math.min(n - done, PIECE - used);
            chunk.getBytes(from + done, pieces.get(pieces.size() - 1), used, step);
            done += step;
        }
    }

    /** What has come so far in an array of {@code size} bytes. */
    private byte[] joined(int size) {
        byte[] bytes = new byte[size];
        if (whole != null) {
            System.arraycopy(whole, 0, bytes, 0, (int) Math.min(length, whole.length));
        }
        long left = length;
        int at = 0;
        for (byte[] piece : pieces) {
            int step = (int) Math.min(left, piece.length);
            System.arraycopy(piece, 0, bytes, at, step);
            at += step;
            left -= step;
        }
        return bytes;
    }

    /** Hands its array to the one reader that reads it all at once, instead of copying it. */
    private static final class Handed extends ByteArrayInputStream {
        Handed(byte[] bytes) {
            super(bytes);
        }

        @Override
        public synchronized byte[] readAllBytes() {
            if (pos == 0 && count == buf.length) {
                pos = count;
                return buf;
            }
            return super.readAllBytes();
        }
    }
}
