package dev.kiln.grpc;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * ModelInfer calls received on each event loop and not yet answered. The gRPC server reads every
 * connection on one loop, and an HTTP/2 connection carries many calls: a cheap call run on that
 * loop would hold back the reading of all the others while the inference workers idle (measured:
 * h2load at 8 connections, every run on one loop thread, gRPC at 0.4–0.6× in-process). A call runs
 * on its loop only when it is the loop's one call in flight (InferenceCall.aloneOnItsLoop).
 */
final class LoopCalls {

    /** An event loop is one thread, so its count is that thread's; answers may end on another. */
    private final ThreadLocal<AtomicInteger> perLoop = ThreadLocal.withInitial(AtomicInteger::new);

    /** Counts a call on the calling thread's loop until {@link Held#close()}. */
    Held arrive() {
        AtomicInteger calls = perLoop.get();
        calls.incrementAndGet();
        return new Held(calls);
    }

    static final class Held implements AutoCloseable {
        private final AtomicInteger calls;
        private final AtomicBoolean closed = new AtomicBoolean();

        private Held(AtomicInteger calls) {
            this.calls = calls;
        }

        /** True when no other call of this loop is in flight: none waiting to be read behind it, none running. */
        boolean alone() {
            return calls.get() == 1;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                calls.decrementAndGet();
            }
        }
    }
}
