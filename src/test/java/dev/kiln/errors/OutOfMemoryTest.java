package dev.kiln.errors;

import org.jboss.logmanager.ExtHandler;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.Logger;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OutOfMemoryTest {

    @Test
    void foundAtAnyDepthOfCauses() {
        OutOfMemoryError heap = new OutOfMemoryError("Java heap space");
        assertSame(heap, OutOfMemory.find(heap));
        assertSame(heap, OutOfMemory.find(new CompletionException(heap)));
        assertSame(heap, OutOfMemory.find(new RuntimeException(new CompletionException(heap))), "two levels down, as RESTEasy wraps it");
    }

    @Test
    void otherFailuresAreNot() {
        assertNull(OutOfMemory.find(null));
        assertNull(OutOfMemory.find(new IllegalStateException("closed", new StackOverflowError())));
    }

    /** Operators see that requests were answered 507 for memory, once every quiet spell however many there are. */
    @Test
    void aFloodOfExhaustedRequestsIsOneWarningWithItsCount() throws Exception {
        OutOfMemory.Reports reports = new OutOfMemory.Reports(TimeUnit.MILLISECONDS.toNanos(200));
        OutOfMemoryError direct = new OutOfMemoryError("Cannot reserve 212000 bytes of direct buffer memory");
        List<String> lines = logged(() -> {
            for (int i = 0; i < 50; i++) {
                reports.report("a request to /v1/ocr", direct);
            }
        });
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("a request to /v1/ocr ran out of memory (Cannot reserve 212000 bytes of direct buffer memory)"),
                lines.get(0));

        Thread.sleep(250);
        List<String> next = logged(() -> reports.report("a request to /v1/ocr", direct));
        assertEquals(1, next.size(), next.toString());
        assertTrue(next.get(0).contains("(with 49 more since the last such line)"), next.get(0));
    }

    private static List<String> logged(Runnable work) {
        List<String> lines = new ArrayList<>();
        ExtHandler handler = new ExtHandler() {
            @Override
            protected void doPublish(ExtLogRecord r) {
                lines.add(r.getFormattedMessage());
            }
        };
        Logger logger = Logger.getLogger(OutOfMemory.class.getName());
        logger.addHandler(handler);
        try {
            work.run();
        } finally {
            logger.removeHandler(handler);
        }
        return lines;
    }
}
