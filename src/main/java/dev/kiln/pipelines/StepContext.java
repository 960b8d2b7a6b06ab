package dev.kiln.pipelines;

import dev.kiln.errors.KilnError;
import dev.kiln.inference.InflightBytes;
import dev.kiln.ocr.ModelCalls;

import java.util.ArrayList;
import java.util.List;

/**
 * What a built-in step may use while one request runs: the models it declared (through the inference
 * core), and memory held in inference's byte budget until the request ends.
 */
final class StepContext implements AutoCloseable {

    private final ModelCalls models;
    private final InflightBytes inflight;
    private final List<AutoCloseable> held = new ArrayList<>();

    StepContext(ModelCalls models, InflightBytes inflight) {
        this.models = models;
        this.inflight = inflight;
    }

    ModelCalls models() {
        return models;
    }

    /**
     * Takes {@code bytes} from the budget inference holds requests in, until the request ends: 413 when
     * they could never fit, 503 with a retry hint when they do not fit beside what runs now.
     */
    void reserve(long bytes, String what) {
        if (bytes > inflight.limit()) {
            throw new KilnError(KilnError.Kind.TOO_LARGE, what + " needs about " + bytes + " bytes of memory, more than inference may hold"
                    + " (ai.models.inference.max-queued-bytes " + inflight.limit() + "): send a smaller image", null, null);
        }
        InflightBytes.Reservation r = inflight.tryReserve(bytes).orElseThrow(() -> KilnError.unavailable("inference holds "
                + inflight.held() + " bytes of requests and answers; " + what + " needs about " + bytes + " more"
                + " (ai.models.inference.max-queued-bytes " + inflight.limit() + "); retry shortly", 1));
        synchronized (held) {
            held.add(r);
        }
    }

    @Override
    public void close() {
        synchronized (held) {
            for (AutoCloseable r : held) {
                try {
                    r.close();
                } catch (Exception e) {
                    // A reservation gives its bytes back once; nothing else is held here.
                }
            }
            held.clear();
        }
    }
}
