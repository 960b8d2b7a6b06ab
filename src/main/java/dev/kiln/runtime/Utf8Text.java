package dev.kiln.runtime;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;

/**
 * BYTES elements as ONNX Runtime takes them: its Java API carries strings as Java Strings, so only
 * valid UTF-8 survives the trip unchanged. Anything else is refused with where it breaks, on every
 * transport (REST JSON and binary, gRPC), instead of being replaced by U+FFFD without a word.
 */
public final class Utf8Text {

    private static final String WHY = ": ONNX Runtime takes strings as text, so bytes that are not UTF-8 cannot pass unchanged";

    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder();   // reports, never replaces
    private final String input;

    public Utf8Text(String input) {
        this.input = input;
    }

    /**
     * Element {@code element}: the next {@code n} bytes of {@code data} (which it passes), at
     * {@code offset} within the input's data.
     */
    public String decode(long element, ByteBuffer data, int n, long offset) {
        ByteBuffer in = data.slice(data.position(), n);
        data.position(data.position() + n);
        CharBuffer out = CharBuffer.allocate(n);
        decoder.reset();
        CoderResult r = decoder.decode(in, out, true);
        if (!r.isError()) {
            r = decoder.flush(out);
        }
        if (r.isError()) {
            int at = in.position();
            throw new InvalidTensorException("input '" + input + "': BYTES element " + element + " is not valid UTF-8 (byte 0x"
                    + String.format("%02x", in.get(at) & 0xff) + " at offset " + at + " of the element, "
                    + (offset + at) + " of the input's data)" + WHY);
        }
        return out.flip().toString();
    }

    /** A string from JSON: an unpaired surrogate ({@code "\ud800"}) has no UTF-8 form. */
    public String check(long element, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidTensorException("input '" + input + "': BYTES element " + element + " holds an unpaired surrogate"
                        + " (\\u" + String.format("%04x", (int) c) + " at character " + i + "), which has no UTF-8 form" + WHY);
            }
        }
        return s;
    }
}
