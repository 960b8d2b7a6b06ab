package dev.kiln.web;

import dev.kiln.inference.InflightBytes;
import dev.kiln.security.SenderKey;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;

/**
 * An inference request's body while it arrives, as the inflight budget sees it. Refused, it ends the
 * way a request with half a body can end: HTTP/1.1 gets 408 and the connection is closed (the rest of
 * the body would otherwise be read as the next request); an HTTP/2 stream is reset, its connection kept.
 * The close lingers: what still comes is read and dropped while it keeps coming (a pause of two
 * seconds ends it, and so do 30 s), because closing a socket with unread bytes resets it, and a client
 * still sending lost the 408 it had been sent (Java's HttpClient saw "Connection reset" for a 4.9 MB
 * body; Python's urllib, which sends the whole body before it reads, "Broken pipe" after 2 s of a
 * 60 MB one).
 */
record ArrivingBody(HttpServerRequest request, Context loop) implements InflightBytes.Arrival {

    private static final long LINGER_PAUSE_MILLIS = 2_000;
    private static final long LINGER_MAX_NANOS = 30_000_000_000L;

    @Override
    public long bytesRead() {
        return request.bytesRead();
    }

    @Override
    public boolean arrived() {
        return request.isEnded();
    }

    /**
     * The address the connection comes from (not a forwarded header, which the sender writes): an IPv4
     * address, or an IPv6 address's /64, the block one host is usually given.
     */
    @Override
    public String peer() {
        SocketAddress address = request.connection().remoteAddress();
        return SenderKey.of(address == null ? null : address.hostAddress());
    }

    @Override
    public boolean lengthDeclared() {
        return request.getHeader("Content-Length") != null;
    }

    @Override
    public void refuse(String reason) {
        if (loop == null) {
            request.connection().close();
            return;
        }
        loop.runOnContext(ignored -> {
            if (request.isEnded()) {
                return; // it came whole while the refusal was on its way: its method runs and answers
            }
            if (request.version() == HttpVersion.HTTP_2) {
                request.response().reset(8); // CANCEL
                return;
            }
            HttpServerResponse response = request.response();
            try {
                response.setStatusCode(408).putHeader("Content-Type", "application/json").putHeader("Connection", "close")
                        .end(new JsonObject().put("error", reason).encode());
            } catch (IllegalStateException alreadyWritten) {
                // the answer had begun: only the connection can still say no
            } finally {
                lingerThenClose();
            }
        });
    }

    /** Vert.x closes the connection once the refused body has ended; one that pauses or goes on is closed here. */
    private void lingerThenClose() {
        long since = System.nanoTime();
        long[] read = {request.bytesRead()};
        loop.owner().setPeriodic(LINGER_PAUSE_MILLIS, id -> {
            long now = request.bytesRead();
            if (now == read[0] || request.isEnded() || System.nanoTime() - since > LINGER_MAX_NANOS) {
                loop.owner().cancelTimer(id);
                request.connection().close();
            }
            read[0] = now;
        });
    }
}
