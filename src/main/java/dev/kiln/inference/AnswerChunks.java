package dev.kiln.inference;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * An answer's bytes as they are written: text in chunks of a bounded size (no array that doubles
 * and is copied again as it grows), and tensor data appended as the buffers it already lives in.
 * The HTTP layer writes the whole as one composite buffer, without joining it first.
 */
final class AnswerChunks extends OutputStream {

    private static final int CHUNK = 32 * 1024;

    private final List<ByteBuf> parts = new ArrayList<>();
    private byte[] current;
    private int used;
    private long size;

    AnswerChunks(long expected) {
        current = new byte[(int) Math.max(256, Math.min(CHUNK, expected))];
    }

    @Override
    public void write(int b) {
        room();
        current[used++] = (byte) b;
        size++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        while (len > 0) {
            room();
            int n = Math.min(len, current.length - used);
            System.arraycopy(b, off, current, used, n);
            used += n;
            off += n;
            len -= n;
            size += n;
        }
    }

    /** Appends a buffer as it is (position to limit), without copying it. */
    void append(ByteBuffer data) {
        seal();
        parts.add(Unpooled.wrappedBuffer(data));
        size += data.remaining();
    }

    /** Bytes written so far. */
    long size() {
        return size;
    }

    /**
     * Makes the text written so far a direct buffer, so that a composite of it and direct tensor data
     * goes to the socket as it is instead of being copied into one direct buffer by the transport.
     */
    void sealDirect() {
        if (used > 0) {
            parts.add(Unpooled.directBuffer(used).writeBytes(current, 0, used));
            current = new byte[256];
            used = 0;
        }
    }

    Buffer toBuffer() {
        seal();
        return Buffer.buffer(parts.size() == 1 ? parts.get(0) : Unpooled.wrappedBuffer(parts.toArray(ByteBuf[]::new)));
    }

    private void room() {
        if (used == current.length) {
            seal();
        }
    }

    private void seal() {
        if (used > 0) {
            parts.add(Unpooled.wrappedBuffer(current, 0, used));
            current = new byte[CHUNK];
            used = 0;
        }
    }
}
