package dev.kiln.inference;

import org.jboss.logging.Logger;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who may not have the grace second an arriving body is given (a busy event loop reads honest bodies
 * late, and TCP starts slowly). A sender (an IPv4 address, an IPv6 /64) whose body was refused as too
 * slow loses it for a minute: one that reconnected after each 408 held the budget through each new
 * body's grace second and denied 95 % of inference. And when many senders lost it within that minute,
 * nobody has it: sixty-two addresses taking turns, each sending a head and nothing more, denied 80 %.
 */
public final class SlowSenders {

    private static final Logger LOG = Logger.getLogger(SlowSenders.class);
    static final long PROBATION_NANOS = 60_000_000_000L;
    /** Senders remembered at once; past it a new one is not, rather than forgetting one that is. */
    private static final int MAX_REMEMBERED = 16_384;
    /** This many senders put on probation within one probation's length: bodies are held from many addresses. */
    public static final int MANY = 16;

    /** Sender to the time its probation ends. */
    private final Map<String, Long> probation = new ConcurrentHashMap<>();
    /** When the last {@link #MANY} senders were put on probation, oldest first. */
    private final Deque<Long> lately = new ArrayDeque<>();

    /** Whether a body from {@code sender} arriving now has no grace second. */
    boolean noGrace(String sender, long now) {
        return onProbation(sender, now) || many(now);
    }

    /** Whether a body from {@code sender} was refused as too slow within the last minute. */
    boolean onProbation(String sender, long now) {
        Long until = probation.get(sender);
        return until != null && now - until < 0;
    }

    private synchronized boolean many(long now) {
        return lately.size() == MANY && now - lately.peekFirst() < PROBATION_NANOS;
    }

    /** A body from {@code sender} was refused as too slow: it is on probation for a minute from now. */
    void refused(String sender, long now, long minBodyRate) {
        if (probation.size() >= MAX_REMEMBERED) {
            probation.values().removeIf(until -> now - until >= 0);
            if (probation.size() >= MAX_REMEMBERED) {
                return;
            }
        }
        Long before = probation.put(sender, now + PROBATION_NANOS);
        if (before != null && now - before < 0) {
            return;
        }
        boolean wasMany = many(now);
        synchronized (this) {
            lately.addLast(now);
            if (lately.size() > MANY) {
                lately.removeFirst();
            }
        }
        LOG.infof("%s sent a request body too slowly to keep its place in max-queued-bytes: for %d s its bodies"
                + " keep their place only while they arrive at %d bytes/s from their first byte", sender,
                PROBATION_NANOS / 1_000_000_000L, minBodyRate);
        if (!wasMany && many(now)) {
            LOG.warnf("%d senders' bodies were refused as too slow within %d s: until that stops, no body has a grace"
                    + " second", MANY, PROBATION_NANOS / 1_000_000_000L);
        }
    }
}
