package dev.kiln.inference;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Where a model's queue runs what it is offered: the calling thread when asked and the model is idle, else a worker. */
class ModelQueueTest {

    private final ExecutorService workers = Executors.newSingleThreadExecutor(r -> new Thread(r, "worker"));
    private final Map<Pending, String> ranOn = new ConcurrentHashMap<>();

    private static Pending pending() {
        return new Pending(null, List.of(new InferenceCall<Object>() {
            @Override
            public ModelInputs decode(ModelSignature model) {
                return null;
            }

            @Override
            public Object encode(List<dev.kiln.runtime.OutputTensor> outputs) {
                return null;
            }
        }), true, System.nanoTime(), Context.root(), Span.getInvalid());
    }

    private ModelQueue queue(int maxRunning, Consumer<ModelQueue.Work> also) {
        return new ModelQueue(8, maxRunning, workers, p -> BatchPolicy.off("test"), work -> {
            work.batch().forEach(p -> ranOn.put(p, Thread.currentThread().getName()));
            also.accept(work);
        }, work -> true);
    }

    @Test
    void anIdleModelsRequestRunsOnTheCallingThreadBeforeOfferReturns() {
        ModelQueue q = queue(2, w -> { });
        Pending p = pending();
        assertTrue(q.offer(p, true));
        assertEquals(Thread.currentThread().getName(), ranOn.get(p), "ran here, before offer returned");
        assertEquals(0, q.running());
        workers.shutdown();
    }

    /** Read where it arrived and found costly (its tensors, not its body, decide): a worker runs it, and the run stays counted until then. */
    @Test
    void aRequestReadHereAndFoundCostlyRunsOnAWorkerWithItsRunHeld() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ModelQueue q = new ModelQueue(8, 1, workers, p -> BatchPolicy.off("test"), work -> {
            work.batch().forEach(p -> ranOn.put(p, Thread.currentThread().getName()));
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, work -> {
            ranOn.put(work.batch().get(0), "read on " + Thread.currentThread().getName());
            return false;
        });
        Pending p = pending();
        assertTrue(q.offer(p, true));
        assertEquals(1, q.running(), "the model's one run is held for it while a worker takes it");
        Pending next = pending();
        assertTrue(q.offer(next, true));
        assertEquals(1, q.waiting(), "so the next request waits instead of running here beside it");
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> "worker".equals(ranOn.get(next)));
        assertEquals("worker", ranOn.get(p));
        workers.shutdown();
        assertTrue(workers.awaitTermination(10, TimeUnit.SECONDS));
        assertEquals(0, q.running());
    }

    @Test
    void withoutBeingAskedItGoesToAWorker() throws Exception {
        ModelQueue q = queue(2, w -> { });
        Pending p = pending();
        assertTrue(q.offer(p, false));
        workers.shutdown();
        assertTrue(workers.awaitTermination(10, TimeUnit.SECONDS));
        assertEquals("worker", ranOn.get(p));
    }

    /** A request that finds the model's runs all taken waits in the queue, and a worker takes it: the caller is never held. */
    @Test
    void aBusyModelsRequestWaitsForAWorkerAndTheCallerReturnsAtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch firstRunning = new CountDownLatch(1);
        Pending first = pending();
        ModelQueue q = queue(1, w -> {
            if (w.batch().contains(first)) {
                firstRunning.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        Thread caller = new Thread(() -> q.offer(first, true), "first-caller");
        caller.start();
        assertTrue(firstRunning.await(10, TimeUnit.SECONDS));
        Pending second = pending();
        assertTrue(q.offer(second, true), "accepted into the queue");
        assertFalse(ranOn.containsKey(second), "not run while the model's one run is taken");
        assertEquals(1, q.waiting());
        release.countDown();
        caller.join(10_000);
        workers.shutdown();
        assertTrue(workers.awaitTermination(10, TimeUnit.SECONDS));
        assertEquals("first-caller", ranOn.get(first));
        assertEquals("worker", ranOn.get(second), "what waited went to a worker when the run ended");
        assertEquals(0, q.running());
    }
}
