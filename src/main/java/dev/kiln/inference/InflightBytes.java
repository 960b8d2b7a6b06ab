package dev.kiln.inference;

import dev.kiln.config.AiModelsConfig;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory inference may hold at once: request bodies from before they are read until they are
 * answered, and answers from before they are written. Reserved up front (a body by its declared
 * length, before it is read; an answer by its foreseen size, before its model runs), so a burst is
 * refused with 503 instead of filling the heap. The budget follows the heap the JVM really has:
 * a quarter of it unless ai.models.inference.max-queued-bytes says otherwise.
 * <p>
 * A body is held by its declared length (or the largest accepted, when it declares none) from before
 * its first byte, so a client could hold the whole budget by starting bodies it never sends, and every
 * other request got 503 for as long as it trickled. So a reservation that does not fit takes the room
 * of bodies still arriving, after their first second, slower than ai.models.inference.min-body-rate or
 * too slowly to bring the bytes they hold within 120 s: they are refused (408) and their bytes given to
 * the request that needs them; a body arriving fast enough keeps its place. The first second is grace
 * (a busy event loop reads honest bodies late, and TCP starts slowly), so a client that reconnected after
 * each 408 held the budget for that second every time and denied 95 % of inference: a peer (an IPv4
 * address, an IPv6 /64) whose body was refused is on probation for a minute, and its bodies have no
 * grace: they keep their place only while they arrive at the minimum rate from their first byte.
 */
@ApplicationScoped
public class InflightBytes {

    /** Where the HTTP edge leaves a request body's reservation for the call that reads the body. */
    public static final String BODY = "kiln.inflight.body";

    /** A request body on its way in: how much of it has come, and how to refuse it. */
    public interface Arrival {
        long bytesRead();

        /** The whole body is here: from now on it is read or queued, not arriving. */
        boolean arrived();

        /** Ends the request with a refusal that says why (from any thread). */
        void refuse(String reason);

        /** Who sends it: the key a refused body puts on probation. */
        String peer();
    }

    /** Held bytes given back exactly once, whoever ends the request. */
    public final class Reservation implements AutoCloseable {
        private final long bytes;
        private final Arrival arrival;
        private final String peer;
        private final long since = System.nanoTime();
        private final AtomicBoolean released = new AtomicBoolean();

        private Reservation(long bytes, Arrival arrival) {
            this.bytes = bytes;
            this.arrival = arrival;
            this.peer = arrival == null ? null : arrival.peer();
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                held.addAndGet(-bytes);
                arriving.remove(this);
            }
        }

        /**
         * Still arriving after its first second, and slower than the minimum rate over its whole life so
         * far. Not sooner: in a burst a busy event loop reads an honest body late (a 1.2 MB body had
         * 34 KB read after 49 ms while eight came at once on two cores).
         */
        private boolean stalled(long now) {
            double age = (now - since) / 1e9;
            double grace = onProbation(peer, now) ? 0 : GRACE_SECONDS;
            if (minBodyRate <= 0 || age < grace || released.get() || arrival.arrived()) {
                return false;
            }
            long read = arrival.bytesRead();
            if (read >= bytes) {
                return false; // all here, its end not yet parsed (a 57-byte body was refused 1 ms after its head)
            }
            // Also too slow for what it holds: a chunked body is held at max-request-bytes, and one sent at
            // 300 KB/s (above the floor) held the whole budget for 224 s.
            return read < minBodyRate * age || (bytes - read) > rate(now) * MAX_REMAINING_SECONDS;
        }

        private double rate(long now) {
            return arrival.bytesRead() / Math.max(1e-9, (now - since) / 1e9);
        }

        private void refuse() {
            close();
            putOnProbation(peer);
            arrival.refuse("the request body arrived at " + arrival.bytesRead() + " of " + bytes + " bytes in "
                    + Math.round((System.nanoTime() - since) / 1e6) + " ms, slower than " + minBodyRate
                    + " bytes/s (ai.models.inference.min-body-rate) or too slowly to bring the bytes it holds within "
                    + Math.round(MAX_REMAINING_SECONDS) + " s, while another request needed them");
        }
    }

    private static final double GRACE_SECONDS = 1.0;
    /** A body that, at its rate so far, would still need longer than this for the bytes it holds is stalled. */
    private static final double MAX_REMAINING_SECONDS = 120.0;
    private static final long PROBATION_NANOS = 60_000_000_000L;
    /** Peers remembered at once; past it a new one is not, rather than forgetting one that is. */
    private static final int MAX_ON_PROBATION = 16_384;
    private static final Logger LOG = Logger.getLogger(InflightBytes.class);

    private final AtomicLong held = new AtomicLong();
    private final Set<Reservation> arriving = ConcurrentHashMap.newKeySet();
    /** Peer to the time its probation ends. */
    private final Map<String, Long> probation = new ConcurrentHashMap<>();
    private final long limit;
    private final long maxAnswer;
    private final long minBodyRate;

    public InflightBytes(AiModelsConfig config) {
        this.limit = config.inference().maxQueuedBytes().orElse(Runtime.getRuntime().maxMemory() / 4);
        this.maxAnswer = config.inference().maxAnswerBytes().orElse(Math.min(64L << 20, limit / 2));
        this.minBodyRate = config.inference().minBodyRate();
    }

    /**
     * Takes {@code bytes} from the budget, or nothing when they do not fit beside what is held now
     * even after refusing the bodies that arrive too slowly to keep their place.
     */
    public Optional<Reservation> tryReserve(long bytes) {
        return reserve(bytes, null);
    }

    /** As {@link #tryReserve}, for a body still to arrive: while it does, a faster request may take its place. */
    public Optional<Reservation> tryReserveBody(long bytes, Arrival arrival) {
        return reserve(bytes, arrival);
    }

    private Optional<Reservation> reserve(long bytes, Arrival arrival) {
        Optional<Reservation> r = take(bytes, arrival);
        return r.isPresent() || !refuseStalled(bytes) ? r : take(bytes, arrival);
    }

    private Optional<Reservation> take(long bytes, Arrival arrival) {
        if (held.addAndGet(bytes) > limit && bytes > 0) {
            held.addAndGet(-bytes);
            return Optional.empty();
        }
        Reservation r = new Reservation(bytes, arrival);
        if (arrival != null) {
            arriving.add(r);
        }
        return Optional.of(r);
    }

    /** Refuses stalled bodies, slowest first, until {@code needed} bytes fit (or none is left); true when any was. */
    private boolean refuseStalled(long needed) {
        long now = System.nanoTime();
        List<Reservation> stalled = arriving.stream().filter(r -> r.stalled(now))
                .sorted(Comparator.comparingDouble(r -> r.rate(now))).toList();
        boolean any = false;
        for (Reservation r : stalled) {
            if (held.get() + needed <= limit) {
                break;
            }
            r.refuse();
            any = true;
        }
        return any;
    }

    private boolean onProbation(String peer, long now) {
        Long until = probation.get(peer);
        return until != null && now - until < 0;
    }

    private void putOnProbation(String peer) {
        long now = System.nanoTime();
        if (probation.size() >= MAX_ON_PROBATION) {
            probation.values().removeIf(until -> now - until >= 0);
            if (probation.size() >= MAX_ON_PROBATION) {
                return;
            }
        }
        Long before = probation.put(peer, now + PROBATION_NANOS);
        if (before == null || now - before >= 0) {
            LOG.infof("%s sent a request body too slowly to keep its place in max-queued-bytes: for %d s its bodies"
                    + " keep their place only while they arrive at %d bytes/s from their first byte", peer,
                    PROBATION_NANOS / 1_000_000_000L, minBodyRate);
        }
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
