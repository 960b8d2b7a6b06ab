package dev.kiln.web;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One HTTP connection's clock, first in its pipeline so it sees every byte before Vert.x does:
 * while no request is in progress the connection may stay silent for the idle timeout; once the
 * first byte of a request arrives its head (request line and headers) must be complete within the
 * header timeout, or the connection gets 408 and is closed. Vert.x's own idle timeout restarts on
 * every byte, so a head sent one byte every few seconds (slowloris) held a connection for good.
 * While a request runs (a long inference, a slow but steady upload) this clock does nothing.
 * The router says when a head is complete and when its response ended ({@link ConnectionTimeouts});
 * after an HTTP/2 request the connection is left to HTTP/2 (its streams have no head to time).
 */
final class ConnectionClock extends ChannelInboundHandlerAdapter {

    static final AttributeKey<ConnectionClock> KEY = AttributeKey.valueOf("kiln-connection-clock");

    private static final String TIMED_OUT_BODY = "{\"error\": \"the request head took too long: the connection is closed\"}";
    private static final byte[] TIMED_OUT = ("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
            + "Content-Type: application/json\r\nContent-Length: " + TIMED_OUT_BODY.length() + "\r\n\r\n" + TIMED_OUT_BODY)
            .getBytes(StandardCharsets.US_ASCII);

    private enum State { IDLE, HEAD, REQUEST, HTTP2 }

    private final long idleNanos;
    private final long headNanos;
    private ChannelHandlerContext ctx;
    private State state = State.IDLE;
    private ScheduledFuture<?> timer;
    /** Request heads received on this connection. */
    private final AtomicInteger heads = new AtomicInteger();

    ConnectionClock(long idleNanos, long headNanos) {
        this.idleNanos = idleNanos;
        this.headNanos = headNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        ctx.channel().attr(KEY).set(this);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        arm(idleNanos);
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (state == State.IDLE && msg instanceof ByteBuf buf && buf.isReadable()) {
            state = State.HEAD;
            arm(headNanos);
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    /**
     * The router has a whole request head; {@code http2}: it came as an HTTP/2 stream. Returns the
     * request's number on this connection, for {@link #requestEnded}.
     */
    int headReceived(boolean http2) {
        int request = heads.incrementAndGet();
        onLoop(() -> {
            if (state != State.HTTP2) {
                state = http2 ? State.HTTP2 : State.REQUEST;
                cancel();
            }
        });
        return request;
    }

    /**
     * HTTP/1 request number {@code request} has ended, its response and its body: the connection waits
     * for the next one (unless the next one has already begun).
     */
    void requestEnded(int request) {
        onLoop(() -> {
            if (state == State.REQUEST && request == heads.get() && ctx.channel().isActive()) {
                state = State.IDLE;
                arm(idleNanos);
            }
        });
    }

    private void onLoop(Runnable r) {
        if (ctx.executor().inEventLoop()) {
            r.run();
        } else {
            ctx.executor().execute(r);
        }
    }

    private void arm(long nanos) {
        cancel();
        if (nanos > 0) {
            State armedFor = state;
            timer = ctx.executor().schedule(() -> expire(armedFor), nanos, TimeUnit.NANOSECONDS);
        }
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void expire(State armedFor) {
        if (state != armedFor || !ctx.channel().isActive()) {
            return;
        }
        if (state == State.HEAD) {
            ctx.writeAndFlush(Unpooled.wrappedBuffer(TIMED_OUT)).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }
}
