package dev.kiln.inference;

import dev.kiln.config.AiModelsConfig;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The budget's rules on bodies still arriving, on the real configuration mapping and the real clock. */
class InflightBytesTest {

    static final long BUDGET = 3_000_000;

    /** A body arriving steadily at {@code rate} bytes a second since it was made. */
    static final class Steady implements InflightBytes.Arrival {
        final long since = System.nanoTime();
        final double rate;
        final String peer;
        final boolean declared;
        final List<String> refusals = new CopyOnWriteArrayList<>();

        Steady(double rate, String peer) {
            this(rate, peer, true);
        }

        Steady(double rate, String peer, boolean declared) {
            this.rate = rate;
            this.peer = peer;
            this.declared = declared;
        }

        @Override
        public long bytesRead() {
            return (long) (rate * (System.nanoTime() - since) / 1e9);
        }

        @Override
        public boolean arrived() {
            return false;
        }

        @Override
        public void refuse(String reason) {
            refusals.add(reason);
        }

        @Override
        public String peer() {
            return peer;
        }

        @Override
        public boolean lengthDeclared() {
            return declared;
        }
    }

    static InflightBytes budget() {
        return budget(BUDGET);
    }

    static InflightBytes budget(long bytes) {
        SmallRyeConfig config = new SmallRyeConfigBuilder().withMapping(AiModelsConfig.class)
                .withConverter(java.time.Duration.class, 200, new io.quarkus.runtime.configuration.DurationConverter())
                .withDefaultValues(Map.of("ai.models.inference.max-queued-bytes", String.valueOf(bytes))).build();
        return new InflightBytes(config.getConfigMapping(AiModelsConfig.class));
    }

    /** A 64 MiB budget, the one of a 256 MB heap. */
    static final long HEAP_256M = 64L << 20;

    /**
     * A body above min-body-rate that holds most of the budget and would take 100 s more gives its room:
     * a 64 MiB body at 600 KB/s held the whole budget of a 256 MB heap for 110 s, within the 120 s
     * every body used to have.
     */
    @Test
    void aLargeBodyArrivingSlowlyGivesItsRoom() throws Exception {
        InflightBytes inflight = budget(HEAP_256M);
        Steady large = new Steady(600_000, "10.0.0.1");
        assertTrue(inflight.tryReserveBody(60_000_000, large).isPresent());
        Thread.sleep(1_100);
        Optional<InflightBytes.Reservation> next = inflight.tryReserveBody(8_000_000, new Steady(10_000_000, "10.0.0.2"));
        assertTrue(next.isPresent(), "the large slow body gave its room");
        assertEquals(1, large.refusals.size());
        assertTrue(large.refusals.get(0).contains("bodies holding 89 % of ai.models.inference.max-queued-bytes must come within 67 s"),
                large.refusals.get(0));
        assertFalse(large.refusals.get(0).contains("Content-Length"), "it sent its length: " + large.refusals.get(0));
    }

    /**
     * Only a body that declared no length is told to send one: the reason said "send Content-Length" to
     * a 60 MB upload that had sent it, refused for arriving too slowly for what it held.
     */
    @Test
    void onlyABodyOfUndeclaredLengthIsToldToSendContentLength() throws Exception {
        InflightBytes inflight = budget(HEAP_256M);
        Steady chunked = new Steady(600_000, "10.0.0.1", false);
        assertTrue(inflight.tryReserveBody(60_000_000, chunked).isPresent());
        Thread.sleep(1_100);
        assertTrue(inflight.tryReserveBody(8_000_000, new Steady(10_000_000, "10.0.0.2")).isPresent());
        assertEquals(1, chunked.refusals.size());
        assertTrue(chunked.refusals.get(0).contains("this body declared no length, so it is held at ai.models.inference.max-request-bytes:"
                + " send Content-Length"), chunked.refusals.get(0));
    }

    /**
     * Split in sixteen bodies from one address, each a sixteenth of the budget and fast enough alone (40
     * KB/s: 120 s for its 4 MB, over its sixteenth of min-body-rate), they are judged together: the
     * whole budget, at 640 KB/s in all (104 s, over the 60 s the whole budget has). Judged one by one,
     * 289 KB/s held the budget for as long as it liked.
     */
    @Test
    void bodiesSplitFromOneSenderAreJudgedTogether() throws Exception {
        InflightBytes inflight = budget(HEAP_256M);
        List<Steady> split = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 16; i++) {
            Steady body = new Steady(40_000, "10.0.0.1");
            split.add(body);
            assertTrue(inflight.tryReserveBody(HEAP_256M / 16, body).isPresent());
        }
        Thread.sleep(1_100);
        assertTrue(inflight.tryReserveBody(1_000_000, new Steady(10_000_000, "10.0.0.2")).isPresent(), "one of them gave its room");
        List<String> refusals = split.stream().flatMap(b -> b.refusals.stream()).toList();
        assertEquals(1, refusals.size(), refusals.toString());
        assertTrue(refusals.get(0).contains("its sender's 16 bodies hold"), refusals.get(0));
    }

    /**
     * A sender whose large body was refused has no grace second for the next one: at 600 KB/s, reconnecting
     * after each 408, one sender held the whole budget through each new body's grace second (16 of 557
     * other calls answered).
     */
    @Test
    void aSenderWhoseLargeBodyWasRefusedHasNoGraceForTheNext() throws Exception {
        InflightBytes inflight = budget(HEAP_256M);
        assertTrue(inflight.tryReserveBody(60_000_000, new Steady(600_000, "10.0.0.1")).isPresent());
        Thread.sleep(1_100);
        inflight.tryReserveBody(8_000_000, new Steady(10_000_000, "10.0.0.2")).orElseThrow().close();
        Steady again = new Steady(600_000, "10.0.0.1");
        assertTrue(inflight.tryReserveBody(60_000_000, again).isPresent());
        Thread.sleep(200);
        assertTrue(inflight.tryReserveBody(8_000_000, new Steady(10_000_000, "10.0.0.3")).isPresent(), "its next body gave its room at once");
        assertEquals(1, again.refusals.size());
    }

    /**
     * A sender on probation gets no first moments either: heads that send nothing, one after another,
     * each held the room for the 50 ms an honest body not yet read is left alone (472 of 1,125 answered).
     */
    @Test
    void aSenderOnProbationIsJudgedFromItsHead() throws Exception {
        InflightBytes inflight = budget();
        assertTrue(inflight.tryReserveBody(2_900_000, new Steady(0, "10.0.0.1")).isPresent());
        Thread.sleep(1_100);
        inflight.tryReserveBody(1_000_000, new Steady(10_000_000, "10.0.0.2")).orElseThrow().close(); // refused: on probation
        Steady head = new Steady(0, "10.0.0.1");
        assertTrue(inflight.tryReserveBody(2_900_000, head).isPresent());
        assertTrue(inflight.tryReserveBody(1_000_000, new Steady(10_000_000, "10.0.0.3")).isPresent(), "the new head gave its room at once");
        assertEquals(1, head.refusals.size());
    }

    /** A small body at the same rate may take its time: it holds a sixteenth of the budget or less. */
    @Test
    void aSmallBodyArrivingAsSlowlyKeepsItsPlace() throws Exception {
        InflightBytes inflight = budget();
        Steady small = new Steady(300_000, "10.0.0.1");
        assertTrue(inflight.tryReserveBody(180_000, small).isPresent());
        assertTrue(inflight.tryReserveBody(2_800_000, new Steady(10_000_000, "10.0.0.2")).isPresent());
        Thread.sleep(1_100);
        assertTrue(inflight.tryReserveBody(100_000, new Steady(10_000_000, "10.0.0.3")).isEmpty(), "nothing to refuse");
        assertEquals(List.of(), small.refusals);
    }

    /**
     * min-body-rate is shared by one sender's bodies: ten bodies from one address at 40 KB/s each (400
     * KB/s in all) keep their place; one body at 40 KB/s alone does not.
     */
    @Test
    void oneSendersBodiesShareTheMinimumRate() throws Exception {
        InflightBytes inflight = budget();
        List<Steady> shared = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 10; i++) {
            Steady body = new Steady(40_000, "10.0.0.1");
            shared.add(body);
            assertTrue(inflight.tryReserveBody(100_000, body).isPresent());
        }
        Steady alone = new Steady(40_000, "10.0.0.9");
        assertTrue(inflight.tryReserveBody(100_000, alone).isPresent());
        assertTrue(inflight.tryReserveBody(1_900_000, new Steady(10_000_000, "10.0.0.2")).isPresent());
        Thread.sleep(1_100);
        assertTrue(inflight.tryReserveBody(100_000, new Steady(10_000_000, "10.0.0.3")).isPresent(), "the lone slow body gave its room");
        assertEquals(1, alone.refusals.size());
        assertTrue(alone.refusals.get(0).contains("slower than 262144 bytes/s"), alone.refusals.get(0));
        assertTrue(shared.stream().allMatch(b -> b.refusals.isEmpty()), "the shared bodies kept their place");
    }
}
