package dev.kiln.inference;

import dev.kiln.config.AiModelsConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory inference may hold at once: request bodies from before they are read until they are
 * answered, and answers from before they are written. Reserved up front (a body by its declared
 * length, before it is read; an answer by its foreseen size, before its model runs), so a burst is
 * refused with 503 instead of filling the heap. The budget follows the heap the JVM really has:
 * a quarter of it unless ai.models.inference.max-queued-bytes says otherwise.
 */
@ApplicationScoped
public class InflightBytes {

    /** Where the HTTP edge leaves a request body's reservation for the call that reads the body. */
    public static final String BODY = "kiln.inflight.body";

    /** Held bytes given back exactly once, whoever ends the request. */
    public final class Reservation implements AutoCloseable {
        private final long bytes;
        private final AtomicBoolean released = new AtomicBoolean();

        private Reservation(long bytes) {
            this.bytes = bytes;
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                held.addAndGet(-bytes);
            }
        }
    }

    private final AtomicLong held = new AtomicLong();
    private final long limit;
    private final long maxAnswer;

    public InflightBytes(AiModelsConfig config) {
        this.limit = config.inference().maxQueuedBytes().orElse(Runtime.getRuntime().maxMemory() / 4);
        this.maxAnswer = config.inference().maxAnswerBytes().orElse(Math.min(64L << 20, limit / 2));
    }

    /** Takes {@code bytes} from the budget, or nothing when they do not fit beside what is held now. */
    public Optional<Reservation> tryReserve(long bytes) {
        if (held.addAndGet(bytes) > limit && bytes > 0) {
            held.addAndGet(-bytes);
            return Optional.empty();
        }
        return Optional.of(new Reservation(bytes));
    }

    /** The budget in bytes. */
    public long limit() {
        return limit;
    }

    /** The largest answer Kiln writes (ai.models.inference.max-answer-bytes). */
    public long maxAnswer() {
        return maxAnswer;
    }

    public long held() {
        return held.get();
    }
}
