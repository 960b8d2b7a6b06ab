package dev.kiln.errors;

import org.jboss.logmanager.ExtHandler;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.Logger;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OutOfMemoryTest {

    /** Operators see that requests were answered 507 for memory, once every ten seconds however many there are. */
    @Test
    void aFloodOfExhaustedRequestsIsOneWarningWithItsCount() {
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
            for (int i = 0; i < 50; i++) {
                OutOfMemory.report("a request to /v1/ocr", new OutOfMemoryError("Cannot reserve 212000 bytes of direct buffer memory"));
            }
        } finally {
            logger.removeHandler(handler);
        }
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("a request to /v1/ocr ran out of memory (Cannot reserve 212000 bytes of direct buffer memory)"),
                lines.get(0));
    }
}
