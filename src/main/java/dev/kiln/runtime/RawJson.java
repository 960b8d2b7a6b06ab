package dev.kiln.runtime;

import com.fasterxml.jackson.core.SerializableString;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * ASCII JSON text Kiln printed itself (numbers), handed to a generator as a raw value: the generator
 * puts the separator before it and copies the bytes in, with no String made of them. The bytes are
 * reused: each {@link #holding} says how many of them are the value now.
 */
final class RawJson implements SerializableString {

    final byte[] bytes;
    private int length;

    RawJson(int capacity) {
        this.bytes = new byte[capacity];
    }

    RawJson holding(int length) {
        this.length = length;
        return this;
    }

    @Override
    public String getValue() {
        return new String(bytes, 0, length, StandardCharsets.US_ASCII);
    }

    @Override
    public int charLength() {
        return length;
    }

    @Override
    public int appendUnquotedUTF8(byte[] buffer, int offset) {
        if (offset + length > buffer.length) {
            return -1;
        }
        System.arraycopy(bytes, 0, buffer, offset, length);
        return length;
    }

    @Override
    public byte[] asUnquotedUTF8() {
        return Arrays.copyOf(bytes, length);
    }

    @Override
    public int appendUnquoted(char[] buffer, int offset) {
        if (offset + length > buffer.length) {
            return -1;
        }
        for (int i = 0; i < length; i++) {
            buffer[offset + i] = (char) bytes[i];
        }
        return length;
    }

    @Override
    public int writeUnquotedUTF8(OutputStream out) throws IOException {
        out.write(bytes, 0, length);
        return length;
    }

    @Override
    public int putUnquotedUTF8(ByteBuffer out) {
        if (out.remaining() < length) {
            return -1;
        }
        out.put(bytes, 0, length);
        return length;
    }

    // The "quoted" (escaped) forms are for text inside a JSON string; a raw value is written from the
    // unquoted forms above, so these only give the same bytes.

    @Override
    public char[] asQuotedChars() {
        return getValue().toCharArray();
    }

    @Override
    public byte[] asQuotedUTF8() {
        return asUnquotedUTF8();
    }

    @Override
    public int appendQuotedUTF8(byte[] buffer, int offset) {
        return appendUnquotedUTF8(buffer, offset);
    }

    @Override
    public int appendQuoted(char[] buffer, int offset) {
        return appendUnquoted(buffer, offset);
    }

    @Override
    public int writeQuotedUTF8(OutputStream out) throws IOException {
        return writeUnquotedUTF8(out);
    }

    @Override
    public int putQuotedUTF8(ByteBuffer out) {
        return putUnquotedUTF8(out);
    }
}
