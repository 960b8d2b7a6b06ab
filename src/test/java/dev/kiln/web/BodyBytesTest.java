package dev.kiln.web;

import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class BodyBytesTest {

    private static final byte[] BODY = new byte[5 * BodyBytes.PIECE + 123];

    static {
        new Random(7).nextBytes(BODY);
    }

    /** Appends BODY in chunks of the given sizes, cycled, and returns what the stream reads. */
    private static ByteArrayInputStream gathered(long declared, int... sizes) {
        BodyBytes bytes = new BodyBytes(declared);
        int at = 0;
        for (int i = 0; at < BODY.length; i++) {
            int n = Math.min(sizes[i % sizes.length], BODY.length - at);
            // a chunk that is a slice of a larger buffer: its reader index is not 0
            bytes.append(Unpooled.wrappedBuffer(BODY, 0, BODY.length).slice(at, n));
            at += n;
        }
        assertEquals(BODY.length, bytes.length());
        return bytes.stream();
    }

    @Test
    void aDeclaredBodyComesOutWholeWhateverItsChunks() {
        for (int[] sizes : new int[][] {{1, 7, 8192}, {BodyBytes.PIECE}, {BodyBytes.PIECE + 1, 3}, {BODY.length}, {65_000, 17}}) {
            assertArrayEquals(BODY, gathered(BODY.length, sizes).readAllBytes(), "chunks " + java.util.Arrays.toString(sizes));
        }
    }

    @Test
    void aBodyOfUndeclaredLengthComesOutWholeToo() {
        assertArrayEquals(BODY, gathered(-1, 1000, 70_000, 1).readAllBytes());
    }

    /** readAllBytes (how RESTEasy Reactive reads a byte[] parameter) gets the gathered array, not a copy of it. */
    @Test
    void readingItAllAtOnceHandsOverTheArray() {
        ByteArrayInputStream stream = gathered(BODY.length, 8192);
        byte[] first = stream.readAllBytes();
        assertEquals(BODY.length, first.length);
        assertEquals(0, stream.readAllBytes().length, "nothing is left after it");
        ByteArrayInputStream again = gathered(BODY.length, 8192);
        byte[] start = new byte[10];
        assertEquals(10, again.read(start, 0, 10));
        ByteArrayOutputStream rest = new ByteArrayOutputStream();
        rest.writeBytes(start);
        rest.writeBytes(again.readAllBytes());
        assertArrayEquals(BODY, rest.toByteArray(), "read in parts, it is the same body");
    }

    /** A declared body is copied into one array of its length once it has proven itself: that array is what is read. */
    @Test
    void aProvenBodyIsGatheredInPlace() throws Exception {
        BodyBytes bytes = new BodyBytes(BODY.length);
        bytes.append(Unpooled.wrappedBuffer(BODY, 0, 100));
        java.lang.reflect.Field whole = BodyBytes.class.getDeclaredField("whole");
        whole.setAccessible(true);
        assertEquals(null, whole.get(bytes), "a head and a hundred bytes are not trusted with the declared length");
        bytes.append(Unpooled.wrappedBuffer(BODY, 100, BODY.length - 100));
        byte[] gathered = (byte[]) whole.get(bytes);
        assertSame(gathered, bytes.stream().readAllBytes());
        assertArrayEquals(BODY, gathered);
    }

    @Test
    void anEmptyBodyIsEmpty() {
        assertEquals(0, new BodyBytes(0).stream().readAllBytes().length);
        assertEquals(0, new BodyBytes(-1).stream().readAllBytes().length);
    }
}
