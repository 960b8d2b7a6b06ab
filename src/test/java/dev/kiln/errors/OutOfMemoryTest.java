package dev.kiln.errors;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OutOfMemoryTest {

    @Test
    void foundAtAnyDepthOfCauses() {
        OutOfMemoryError heap = new OutOfMemoryError("Java heap space");
        assertTrue(OutOfMemory.in(heap));
        assertTrue(OutOfMemory.in(new CompletionException(heap)));
        assertTrue(OutOfMemory.in(new RuntimeException(new CompletionException(heap))), "two levels down, as RESTEasy wraps it");
        assertSame(heap, OutOfMemory.find(new CompletionException(heap)));
    }

    @Test
    void otherFailuresAreNot() {
        assertFalse(OutOfMemory.in(null));
        assertFalse(OutOfMemory.in(new IllegalStateException("closed", new StackOverflowError())));
    }
}
