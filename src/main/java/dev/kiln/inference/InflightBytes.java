package dev.kiln.inference;

import dev.kiln.config.AiModelsConfig;
import jakarta.enterprise.context.ApplicationScoped;
import io.quarkus.scheduler.Scheduled;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

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
 * of bodies still arriving, after their grace second ({@link SlowSenders}), slower than
 * ai.models.inference.min-body-rate (shared by the bodies one sender has arriving), too slowly to bring the bytes they hold within 120 s
 * (less for a sender whose bodies hold more than half the budget: the whole budget, 60 s), or not at all
 * for 5 s: they are refused (408) and their bytes given to the request that needs them; a body arriving
 * fast enough keeps its place. A body from which nothing comes for ai.models.connections.idle-timeout
 * is refused whether or not its room is needed.
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

        /** Whether it said how long it is: one that did not is held at max-request-bytes. */
        boolean lengthDeclared();
    }

    /** Held bytes given back exactly once, whoever ends the request. */
    public final class Reservation implements AutoCloseable {
        private final long bytes;
        private final Arrival arrival;
        private final String peer;
        private final long since = System.nanoTime();
        private final AtomicBoolean released = new AtomicBoolean();
        /** The bytes read when last looked at, and since when: scans and the sweep look (races only blur them). */
        private volatile long lastRead;
        private volatile long lastProgress = since;

        private Reservation(long bytes, Arrival arrival) {
            this.bytes = bytes;
            this.arrival = arrival;
            this.peer = arrival == null ? null : arrival.peer();
        }

        @Override
        public void close() {
            release();
        }

        private boolean release() {
            if (!released.compareAndSet(false, true)) {
                return false;
            }
            held.addAndGet(-bytes);
            arriving.remove(this);
            return true;
        }

        /** Still arriving: not given back, not all here. */
        private boolean arriving() {
            return !released.get() && !arrival.arrived() && arrival.bytesRead() < bytes;
        }

        /** How long no byte of it has come, as far as the looks at it tell. */
        private long quietNanos(long now) {
            long read = arrival.bytesRead();
            if (read != lastRead) {
                lastRead = read;
                lastProgress = now;
            }
            return now - lastProgress;
        }

        /**
         * Why it may not keep its place when another request needs the room, or null. Not in its grace
         * second: in a burst a busy event loop reads an honest body late (a 1.2 MB body had 34 KB read
         * after 49 ms while eight came at once on two cores). Judged with the other bodies its sender has
         * arriving ({@code sender}): min-body-rate is shared by them (one client sending 26 bodies at once
         * over one pipe shares it: 64 starved client threads on one address got 26 of 525 bodies refused
         * at 256 KB/s each), and so is the time they may take, or one body split in sixteen would escape it.
         */
        private String stalled(long now, Sender sender) {
            double age = (now - since) / 1e9;
            boolean probation = senders.onProbation(peer, now);
            if (minBodyRate <= 0 || !arriving() || age < (senders.noGrace(peer, now) ? 0 : GRACE_SECONDS)) {
                return null;
            }
            long read = arrival.bytesRead();
            if (read == 0 && age < FIRST_BYTE_SECONDS && !probation) {
                return null; // not read yet: under load an honest body is read late even with no grace (0 bytes at 1 ms)
            }
            double floor = (double) minBodyRate / sender.bodies();
            if (read < floor * age) {
                return "it arrived at " + read + " of " + bytes + " bytes in " + Math.round(age * 1000) + " ms, slower than "
                        + Math.round(floor) + " bytes/s (ai.models.inference.min-body-rate " + minBodyRate
                        + (sender.bodies() > 1 ? " shared by the " + sender.bodies() + " bodies its sender has arriving)" : ")");
            }
            // A chunked body is held at max-request-bytes, and one sent at 300 KB/s (above the floor) held
            // the whole budget for 224 s; a 64 MiB one at 600 KB/s held it for 110 s; sixteen bodies of a
            // sixteenth each from one address, at 289 KB/s in all, held it for as long as they liked.
            double within = sender.secondsAllowed(limit);
            if (sender.toCome() > sender.rate() * within) {
                return "at " + Math.round(sender.rate()) + " bytes/s the " + sender.toCome() + " bytes "
                        + (sender.bodies() > 1 ? "its sender's " + sender.bodies() + " bodies hold" : "it holds")
                        + " still to come would take more than " + Math.round(within) + " s (bodies holding "
                        + Math.round(100.0 * sender.held() / limit) + " % of ai.models.inference.max-queued-bytes must come within "
                        + Math.round(within) + " s" + (arrival.lengthDeclared() ? ")"
                        : "; this body declared no length, so it is held at ai.models.inference.max-request-bytes: send Content-Length)");
            }
            // 33.6 MB sent at once, then nothing: fast on average, and held the budget until the connection died.
            long quiet = quietNanos(now);
            if (quiet >= QUIET_NANOS) {
                return "no byte of it came for " + quiet / 1_000_000 + " ms";
            }
            return null;
        }

        private double rate(long now) {
            return arrival.bytesRead() / Math.max(1e-9, (now - since) / 1e9);
        }

        private void refuse(String why, Sender sender) {
            int bodies = sender.bodies();
            long now = System.nanoTime();
            boolean barelyAny = arrival.bytesRead() < minBodyRate / 16.0 / bodies * ((now - since) / 1e9) || quietNanos(now) >= QUIET_NANOS;
            boolean large = sender.held() * Sender.LONG_HOLD_SHARE > limit;
            if (!release()) {
                return;
            }
            // Probation for a body that sent next to nothing, stopped, or whose sender held more than half
            // the budget (one at 600 KB/s reconnecting after each 408 held the whole budget through each
            // new grace second: 16 of 557 answered); not for a small body merely slow: an honest one slowed
            // by a starved client (64 threads beside the server) put its address on probation, and every
            // body from it lost its grace: 48 of 463 were 408.
            if (barelyAny || large) {
                senders.refused(peer, now, minBodyRate);
            }
            arrival.refuse("the request body was refused: " + why);
        }
    }

    /** The bodies one sender has arriving, judged together. */
    record Sender(int bodies, long held, long toCome, double rate) {
        /** A sender holding up to this part of the budget (half) may take {@link #MAX_REMAINING_SECONDS}; more, less. */
        static final int LONG_HOLD_SHARE = 2;

        static Sender of(List<Reservation> bodies, long now) {
            long held = 0;
            long toCome = 0;
            double rate = 0;
            for (Reservation r : bodies) {
                held += r.bytes;
                toCome += Math.max(0, r.bytes - r.arrival.bytesRead());
                rate += r.rate(now);
            }
            return new Sender(bodies.size(), held, toCome, rate);
        }

        /**
         * How long, at their rate so far, its bodies may still take to bring the bytes they hold: 120 s up
         * to half the budget, less in proportion above (the whole budget: 60 s).
         */
        double secondsAllowed(long limit) {
            return MAX_REMAINING_SECONDS * Math.min(1.0, limit / (double) LONG_HOLD_SHARE / held);
        }
    }

    private static final double GRACE_SECONDS = 1.0;
    /** A body that, at its rate so far, would still need longer than this for the bytes it holds is stalled. */
    private static final double MAX_REMAINING_SECONDS = 120.0;
    /** A body from which nothing came for this long is stalled when its room is needed. */
    private static final long QUIET_NANOS = 5_000_000_000L;
    /** A body with no grace of which nothing has been read yet is not judged before this. */
    private static final double FIRST_BYTE_SECONDS = 0.05;

    private final AtomicLong held = new AtomicLong();
    private final Set<Reservation> arriving = ConcurrentHashMap.newKeySet();
    private final SlowSenders senders = new SlowSenders();
    private final long limit;
    private final long maxAnswer;
    private final long minBodyRate;
    private final Duration bodyIdle;

    public InflightBytes(AiModelsConfig config) {
        this.limit = config.inference().maxQueuedBytes().orElse(Runtime.getRuntime().maxMemory() / 4);
        this.maxAnswer = config.inference().maxAnswerBytes().orElse(Math.min(64L << 20, limit / 2));
        this.minBodyRate = config.inference().minBodyRate();
        this.bodyIdle = config.connections().idleTimeout();
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
        Reservation r = new Reservation(bytes, arrival);
        if (arrival == null) {
            return count(bytes) ? Optional.of(r) : Optional.empty();
        }
        // Counted and seen as arriving at once: a scan between the two found the budget full and nothing
        // to refuse, and a request got 503 beside a stalled body (18 of 127 in one run).
        synchronized (arriving) {
            if (!count(bytes)) {
                return Optional.empty();
            }
            arriving.add(r);
        }
        return Optional.of(r);
    }

    private boolean count(long bytes) {
        if (held.addAndGet(bytes) > limit && bytes > 0) {
            held.addAndGet(-bytes);
            return false;
        }
        return true;
    }

    /** Refuses stalled bodies, slowest first, until {@code needed} bytes fit (or none is left); true when any was. */
    private boolean refuseStalled(long needed) {
        synchronized (arriving) {
            return refuseStalledNow(needed);
        }
    }

    private boolean refuseStalledNow(long needed) {
        long now = System.nanoTime();
        record Stalled(Reservation body, Sender sender, String why, double rate) {
        }
        // One look at who is arriving, so every body is judged with a sender that counts it.
        Map<String, List<Reservation>> bySender = arriving.stream().filter(Reservation::arriving)
                .collect(Collectors.groupingBy(r -> String.valueOf(r.peer)));
        List<Stalled> stalled = bySender.values().stream().flatMap(bodies -> {
            Sender sender = Sender.of(bodies, now);
            return bodies.stream().map(r -> new Stalled(r, sender, r.stalled(now, sender), r.rate(now)));
        }).filter(s -> s.why() != null).sorted(Comparator.comparingDouble(Stalled::rate)).toList();
        boolean any = false;
        for (Stalled s : stalled) {
            if (held.get() + needed <= limit) {
                break;
            }
            s.body().refuse(s.why() + ", while another request needed its room in ai.models.inference.max-queued-bytes", s.sender());
            any = true;
        }
        return any;
    }

    /**
     * Bodies from which nothing came for the idle timeout are refused, room needed or not: a body is read
     * on the event loop, not by a worker with a read timeout, so nothing else would end them.
     */
    @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refuseSilentBodies() {
        if (bodyIdle.isZero() || bodyIdle.isNegative()) {
            return; // the idle timeout is off
        }
        long now = System.nanoTime();
        for (Reservation r : arriving) {
            if (r.arriving() && r.quietNanos(now) >= bodyIdle.toNanos()) {
                r.refuse("no byte of it came for " + bodyIdle.toSeconds() + " s (ai.models.connections.idle-timeout)", Sender.of(List.of(r), now));
            }
        }
    }

    /** Why {@code what} (a body, a message) was refused room: the one wording every transport answers with. */
    public String doesNotFit(String what) {
        return "inference holds " + held() + " bytes of requests and answers; " + what
                + " does not fit beside them (ai.models.inference.max-queued-bytes " + limit + "); retry shortly";
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
