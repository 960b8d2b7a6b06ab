package dev.kiln.grpc;

import dev.kiln.config.AiModelsConfig;
import io.quarkus.grpc.api.ServerBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcServerConfiguration;
import io.vertx.grpc.VertxServerBuilder;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.concurrent.TimeUnit;

/**
 * gRPC connections with no call in progress close after {@code ai.models.connections.idle-timeout}
 * (a GOAWAY; clients reconnect on their next call; grpc-java then waits up to 10 s for the
 * client's PING ack before it closes, so a silent client is gone after the idle timeout + 10 s). Without it a connection that sent nothing, or
 * a HEADERS frame a byte at a time, stayed open for good: an HTTP/2 stream does not exist until its
 * headers are complete, so the connection counts as idle the whole time.
 */
@ApplicationScoped
public class GrpcIdleConnections implements ServerBuilderCustomizer<VertxServerBuilder> {

    private final long idleNanos;

    public GrpcIdleConnections(AiModelsConfig config) {
        this.idleNanos = config.connections().idleTimeout().toNanos();
    }

    @Override
    public void customize(GrpcServerConfiguration config, VertxServerBuilder builder) {
        if (idleNanos > 0) {
            builder.nettyBuilder().maxConnectionIdle(idleNanos, TimeUnit.NANOSECONDS);
        }
    }
}
