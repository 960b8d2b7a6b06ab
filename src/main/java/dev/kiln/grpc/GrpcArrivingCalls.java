package dev.kiln.grpc;

import dev.kiln.config.AiModelsConfig;
import dev.kiln.inference.InflightBytes;
import dev.kiln.security.OpenConnections;
import io.grpc.Context;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import io.quarkus.grpc.api.ServerBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcServerConfiguration;
import io.quarkus.scheduler.Scheduled;
import io.vertx.grpc.VertxServerBuilder;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gRPC calls the port holds open, and their messages' bytes while they arrive. grpc-java lets a
 * connection open 2^31-1 calls and keeps a message's bytes from its first frame until it is whole,
 * outside the inference budget and with no timeout: 100,000 calls of one headers frame each (5 MB
 * sent) filled a 256 MB heap in 5 s and left the process wedged until {@code kill -9}; 30 calls of
 * 3.7 MB less a byte on one connection held 111 MB of direct memory, and honest calls got 507. Now a
 * connection may have {@code ai.models.connections.max-calls-per-connection} calls open, all
 * connections together {@code ai.models.connections.max} (past it a call is refused UNAVAILABLE at
 * its headers), and a message's bytes are charged to {@code ai.models.inference.max-queued-bytes} as
 * they come, until it is whole: one that does not fit is refused UNAVAILABLE and its bytes let go, and
 * one of which nothing came for {@code ai.models.connections.idle-timeout} is refused DEADLINE_EXCEEDED.
 */
@ApplicationScoped
@GlobalInterceptor
public class GrpcArrivingCalls implements ServerBuilderCustomizer<VertxServerBuilder>, ServerInterceptor {

    /** Bytes charged at a time: a message arrives in 16 KB frames, and a reservation for each would be 256 for 4 MB. */
    static final long STEP = 64 * 1024;
    private static final Context.Key<Arriving> ARRIVING = Context.key("kiln-arriving");

    private final InflightBytes inflight;
    private final int maxOpen;
    private final long idleNanos;
    private final AtomicInteger open = new AtomicInteger();
    /** Calls whose message is on its way: the sweep ends those from which nothing came for the idle timeout. */
    private final Set<Arriving> holding = ConcurrentHashMap.newKeySet();

    public GrpcArrivingCalls(InflightBytes inflight, OpenConnections connections, AiModelsConfig config) {
        this.inflight = inflight;
        this.maxOpen = connections.max();
        this.idleNanos = config.connections().idleTimeout().toNanos();
    }

    /**
     * A message of which no byte came for ai.models.connections.idle-timeout is refused, as a REST body
     * is: its call is in progress, so the connection's own idle timeout never ends it, and it kept its
     * charge for as long as the client held it open.
     */
    @Scheduled(every = "1s", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refuseSilentMessages() {
        if (idleNanos <= 0) {
            return;
        }
        long now = System.nanoTime();
        for (Arriving a : holding) {
            a.refuseIfSilent(now);
        }
    }

    @Override
    public void customize(GrpcServerConfiguration config, VertxServerBuilder builder) {
        builder.nettyBuilder().addStreamTracerFactory(new ServerStreamTracer.Factory() {
            @Override
            public ServerStreamTracer newServerStreamTracer(String method, Metadata headers) {
                return new Arriving();
            }
        });
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        if (open.incrementAndGet() > maxOpen) {
            open.decrementAndGet();
            call.close(Status.UNAVAILABLE.withDescription(maxOpen + " gRPC calls are in progress (ai.models.connections.max):"
                    + " retry shortly"), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        AtomicBoolean ended = new AtomicBoolean();
        Runnable end = () -> {
            if (ended.compareAndSet(false, true)) {
                open.decrementAndGet();
            }
        };
        Arriving arriving = ARRIVING.get();
        if (arriving == null) {
            return counted(next.startCall(call, headers), end, null);
        }
        arriving.attach(call);
        // A refused call's message may still come whole (the client sends on): the service must neither run
        // it nor close the call a second time (IllegalStateException "call already closed" on the event loop).
        ServerCall<Q, A> unlessRefused = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                if (!arriving.refused()) {
                    super.close(status, trailers);
                }
            }
        };
        try {
            return counted(next.startCall(unlessRefused, headers), end, arriving);
        } catch (RuntimeException e) {
            end.run();
            throw e;
        }
    }

    /** The service's listener, told nothing of a refused call's message, and {@code end} run when the call ends. */
    private static <Q> ServerCall.Listener<Q> counted(ServerCall.Listener<Q> listener, Runnable end, Arriving arriving) {
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q message) {
                if (arriving == null || !arriving.refused()) {
                    super.onMessage(message);
                }
            }

            @Override
            public void onHalfClose() {
                if (arriving == null || !arriving.refused()) {
                    super.onHalfClose();
                }
            }

            @Override
            public void onComplete() {
                end.run();
                super.onComplete();
            }

            @Override
            public void onCancel() {
                end.run();
                super.onCancel();
            }
        };
    }

    /**
     * One call's message while it arrives (grpc-java reports its bytes as it buffers them, on the
     * connection's event loop): charged to the budget until it is whole or the call ends.
     */
    final class Arriving extends ServerStreamTracer {
        private final List<InflightBytes.Reservation> held = new ArrayList<>();
        private long arrived;
        private long charged;
        private long lastByte;
        private boolean whole;
        private boolean refused;
        private Status refusal;
        private ServerCall<?, ?> call;

        @Override
        public Context filterContext(Context context) {
            return context.withValue(ARRIVING, this);
        }

        synchronized boolean refused() {
            return refused;
        }

        /** The call to close if its message does not fit; refused before it was known, it is closed now. */
        synchronized void attach(ServerCall<?, ?> call) {
            this.call = call;
            if (refused) {
                close();
            } else if (!whole) {
                // a call that never sends its message is ended too: it holds a place among the calls in all
                lastByte = System.nanoTime();
                holding.add(this);
            }
        }

        @Override
        public synchronized void inboundWireSize(long bytes) {
            if (whole || refused) {
                return;
            }
            arrived += bytes;
            lastByte = System.nanoTime();
            if (arrived <= charged) {
                return;
            }
            long step = Math.max(STEP, arrived - charged);
            Optional<InflightBytes.Reservation> r = inflight.tryReserve(step);
            if (r.isEmpty()) {
                refuse(Status.UNAVAILABLE.withDescription(inflight.doesNotFit("this call's message, " + arrived + " bytes so far,")));
                return;
            }
            held.add(r.get());
            charged += step;
            holding.add(this);
        }

        synchronized void refuseIfSilent(long now) {
            if (!whole && !refused && now - lastByte >= idleNanos) {
                refuse(Status.DEADLINE_EXCEEDED.withDescription("no byte of this call's message came for "
                        + idleNanos / 1_000_000_000L + " s (ai.models.connections.idle-timeout); " + arrived + " bytes had come"));
            }
        }

        @Override
        public synchronized void inboundMessageRead(int seqNo, long wireSize, long uncompressedSize) {
            whole = true; // from here the service holds the message's room (KilnGrpcService.admitted)
            release();
        }

        @Override
        public synchronized void streamClosed(Status status) {
            release();
        }

        private void release() {
            held.forEach(InflightBytes.Reservation::close);
            held.clear();
            holding.remove(this);
        }

        private void refuse(Status why) {
            refused = true;
            refusal = why;
            release();
            close();
        }

        /** Ends the call; its service has not run (its message is not whole), so nothing else closes it meanwhile. */
        private void close() {
            if (call == null) {
                return;
            }
            try {
                call.close(refusal, new Metadata());
            } catch (IllegalStateException alreadyClosed) {
                // it ended meanwhile
            }
        }
    }
}
