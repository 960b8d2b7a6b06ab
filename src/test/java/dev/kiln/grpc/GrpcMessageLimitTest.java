package dev.kiln.grpc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GrpcMessageLimitTest {

    private static final long MIB = 1 << 20;

    @Test
    void aSmallHeapReadsSmallerMessages() {
        assertEquals(8 * MIB, GrpcMessageLimit.limit(64 * MIB, 512 * MIB), "-Xmx512m: a 64th of the heap");
        assertEquals(64 * MIB, GrpcMessageLimit.limit(64 * MIB, 6 * 1024 * MIB), "a large heap: max-request-bytes");
        assertEquals(MIB, GrpcMessageLimit.limit(64 * MIB, 16 * MIB), "never under 1 MiB");
        assertEquals(2 * MIB, GrpcMessageLimit.limit(2 * MIB, 4096 * MIB), "max-request-bytes when it is smaller");
        assertEquals(Integer.MAX_VALUE, GrpcMessageLimit.limit(Long.MAX_VALUE, Long.MAX_VALUE));
    }
}
