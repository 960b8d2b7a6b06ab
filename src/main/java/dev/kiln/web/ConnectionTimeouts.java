package dev.kiln.web;

import dev.kiln.config.AiModelsConfig;
import dev.kiln.security.OpenConnections;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.quarkus.vertx.http.HttpServerStart;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.impl.HttpServerImpl;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.ServerID;
import io.vertx.core.net.impl.TCPServerBase;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.ObservesAsync;
import org.jboss.logging.Logger;

import java.lang.reflect.Field;
import java.util.Map;

/**
 * Gives every HTTP connection a {@link ConnectionClock} (idle and request-head timeouts). Vert.x 4
 * has no request-head timeout and Quarkus no hook on accepted connections, so a watcher goes into
 * the listening socket's pipeline, where each accepted connection passes before Vert.x sets it up;
 * that socket is read from Vert.x's bound server (a private field: a Vert.x upgrade that renames it
 * makes this log a warning, and ConnectionTimeoutsTest fails). The router tells each clock when a
 * request head is complete and when its response has ended.
 */
@ApplicationScoped
@RegisterForReflection(targets = TCPServerBase.class)
public class ConnectionTimeouts {

    private static final Logger LOG = Logger.getLogger(ConnectionTimeouts.class);
    private static final long BODY_END_POLL_MILLIS = 50;

    private final AiModelsConfig.Connections config;
    private final Vertx vertx;
    private final OpenConnections openConnections;

    public ConnectionTimeouts(AiModelsConfig config, Vertx vertx, OpenConnections openConnections) {
        this.config = config.connections();
        this.vertx = vertx;
        this.openConnections = openConnections;
    }

    void routes(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(this::headReceived);
    }

    void serverStarted(@ObservesAsync HttpServerStart start) {
        int port = start.options().getPort();
        try {
            Channel server = listeningChannel(port);
            if (server == null) {
                LOG.warnf("no listening socket found for port %d: HTTP header and idle timeouts are off", port);
                return;
            }
            server.pipeline().addFirst("kiln-accept-watcher", new AcceptWatcher(config.idleTimeout().toNanos(),
                    config.headerTimeout().toNanos(), openConnections));
            LOG.debugf("HTTP connections on port %d: idle timeout %s, header timeout %s", port, config.idleTimeout(),
                    config.headerTimeout());
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warnf("HTTP header and idle timeouts are off: %s", e.toString());
        }
    }

    private void headReceived(RoutingContext rc) {
        HttpConnection connection = rc.request().connection();
        if (connection instanceof ConnectionBase base) {
            ConnectionClock clock = base.channel().attr(ConnectionClock.KEY).get();
            if (clock != null) {
                boolean http2 = rc.request().version() == HttpVersion.HTTP_2;
                int request = clock.headReceived(http2);
                if (!http2) {
                    rc.addEndHandler(ended -> onceBodyEnded(rc.request(), clock, request, System.nanoTime()));
                }
            }
        }
        rc.next();
    }

    /**
     * The connection waits for its next request once the response has ended and so has the body: a
     * request refused before its body was read (503 at admission) still gets the rest of it, and those
     * bytes started the next head's clock; a client that left the connection in its pool for the header
     * timeout then found it answered 408 and closed (64 Java HttpClient threads: requests unanswered).
     * A body that never ends is waited for as long as the idle timeout, or until its connection closes.
     */
    private void onceBodyEnded(HttpServerRequest http, ConnectionClock clock, int request, long since) {
        if (http.isEnded() || http.response().closed() || System.nanoTime() - since > config.idleTimeout().toNanos()) {
            clock.requestEnded(request);
            return;
        }
        vertx.setTimer(BODY_END_POLL_MILLIS, id -> onceBodyEnded(http, clock, request, since));
    }

    @SuppressWarnings("unchecked")
    private Channel listeningChannel(int port) throws ReflectiveOperationException {
        Field bound = TCPServerBase.class.getDeclaredField("bindFuture");
        bound.setAccessible(true);
        for (Map.Entry<ServerID, HttpServerImpl> e : ((VertxInternal) vertx).sharedHttpServers().entrySet()) {
            if (e.getKey().port == port) {
                Future<Channel> channel = (Future<Channel>) bound.get(e.getValue());
                if (channel != null && channel.succeeded()) {
                    return channel.result();
                }
            }
        }
        return null;
    }

    /** In the listening socket's pipeline: each accepted connection gets its clock before Vert.x's handlers. */
    @ChannelHandler.Sharable
    private static final class AcceptWatcher extends ChannelInboundHandlerAdapter {
        private final long idleNanos;
        private final long headNanos;
        private final OpenConnections open;

        AcceptWatcher(long idleNanos, long headNanos, OpenConnections open) {
            this.idleNanos = idleNanos;
            this.headNanos = headNanos;
            this.open = open;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (msg instanceof Channel accepted) {
                if (!open.admit(accepted)) {
                    accepted.unsafe().closeForcibly(); // never registered with a loop: Vert.x never sees it
                    return;
                }
                accepted.pipeline().addFirst("kiln-connection-clock", new ConnectionClock(idleNanos, headNanos));
            }
            super.channelRead(ctx, msg);
        }
    }
}
