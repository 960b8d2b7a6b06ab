package dev.kiln.catalog;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The protobuf wire format read straight from a file: varints, length-delimited fields, and
 * skipping by seek, so a reader of an ONNX file decodes the few fields it wants and never holds the
 * weights. Every length is checked against the file, so a malformed file is an IOException, never
 * a read past its end.
 */
public final class ProtobufFile implements AutoCloseable {

    public static final int VARINT = 0, LENGTH_DELIMITED = 2;
    private static final int BUFFER = 64 * 1024;
    private static final int MAX_STRING = 64 * 1024;
    private static final int MAX_GROUP_DEPTH = 100;
    private final RandomAccessFile file;
    private final byte[] buf = new byte[BUFFER];
    private final long length;
    private long bufStart;
    private int bufLen;
    private long pos;

    private ProtobufFile(RandomAccessFile file) throws IOException {
        this.file = file;
        this.length = file.length();
    }

    public static ProtobufFile open(Path path) throws IOException {
        return new ProtobufFile(new RandomAccessFile(path.toFile(), "r"));
    }

    public static int field(long tag) {
        return (int) (tag >>> 3);
    }

    public static int wire(long tag) {
        return (int) (tag & 7);
    }

    public long length() {
        return length;
    }

    public long position() {
        return pos;
    }

    public void seek(long to) throws IOException {
        if (to < 0 || to > length) {
            throw new IOException("truncated or malformed protobuf (offset " + to + " of " + length + ")");
        }
        pos = to;
    }

    int read() throws IOException {
        if (pos >= length) {
            throw new IOException("truncated protobuf");
        }
        if (pos < bufStart || pos >= bufStart + bufLen) {
            file.seek(pos);
            bufStart = pos;
            bufLen = Math.max(0, file.read(buf, 0, BUFFER));
            if (bufLen == 0) {
                throw new IOException("truncated protobuf");
            }
        }
        return buf[(int) (pos++ - bufStart)] & 0xff;
    }

    public long varint() throws IOException {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = read();
            result |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        throw new IOException("malformed varint");
    }

    /** Reads a length prefix; returns where the field it introduces ends. */
    public long endOfMessage() throws IOException {
        long n = varint();
        if (n < 0 || pos + n > length) {
            throw new IOException("truncated or malformed protobuf (field of " + n + " bytes at offset " + pos + ")");
        }
        return pos + n;
    }

    public String string() throws IOException {
        return new String(bytes(), StandardCharsets.UTF_8);
    }

    /** A length-delimited field of at most 64 KiB (names, keys, locations), as it is in the file. */
    public byte[] bytes() throws IOException {
        long n = varint();
        if (n < 0 || n > MAX_STRING || pos + n > length) {
            throw new IOException("implausible name length " + n);
        }
        byte[] b = new byte[(int) n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) read();
        }
        return b;
    }

    public void skipField(long tag) throws IOException {
        switch (wire(tag)) {
            case 0 -> varint();
            case 1 -> seek(pos + 8);
            case 2 -> seek(endOfMessage());
            case 3 -> skipGroup(field(tag));
            case 5 -> seek(pos + 4);
            default -> throw new IOException("unsupported protobuf wire type " + wire(tag));
        }
    }

    /**
     * Skips a group (the deprecated wire types 3 and 4) as protobuf does for an unknown field, so a
     * file protobuf accepts is never one this reader gives up on; nested up to protobuf's own limit.
     */
    private void skipGroup(int field) throws IOException {
        java.util.ArrayDeque<Integer> open = new java.util.ArrayDeque<>();
        open.push(field);
        while (!open.isEmpty()) {
            long tag = varint();
            if (wire(tag) == 3) {
                if (open.size() >= MAX_GROUP_DEPTH) {
                    throw new IOException("groups nested more than " + MAX_GROUP_DEPTH + " deep");
                }
                open.push(field(tag));
            } else if (wire(tag) == 4) {
                if (field(tag) != open.pop()) {
                    throw new IOException("mismatched end of group");
                }
            } else {
                skipField(tag);
            }
        }
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
