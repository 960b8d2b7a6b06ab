package dev.kiln.grpc;

import dev.kiln.config.AiModelsConfig;
import dev.kiln.security.OpenConnections;
import io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.InternalProtocolNegotiators;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AsciiString;
import io.quarkus.grpc.api.ServerBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcServerConfiguration;
import io.vertx.grpc.VertxServerBuilder;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The gRPC port's connections count with the HTTP port's against {@code ai.models.connections.max}
 * and {@code max-per-address}: silent connections to the gRPC port from a few addresses could
 * otherwise take the file descriptors the HTTP port's caps keep for the process. grpc-java offers no
 * hook on an accepted connection but the protocol negotiator, so the plaintext one is wrapped: a
 * connection past a cap is closed before its HTTP/2 preface is read. A TLS gRPC port (Vert.x then
 * installs its own negotiator) is not capped; Kiln serves plain gRPC behind the ingress's TLS.
 */
@ApplicationScoped
public class GrpcOpenConnections implements ServerBuilderCustomizer<VertxServerBuilder> {

    private final OpenConnections open;
    private final int callsPerConnection;

    public GrpcOpenConnections(OpenConnections open, AiModelsConfig config) {
        this.open = open;
        this.callsPerConnection = config.connections().maxCallsPerConnection();
    }

    @Override
    public void customize(GrpcServerConfiguration config, VertxServerBuilder builder) {
        builder.nettyBuilder().maxConcurrentCallsPerConnection(callsPerConnection); // what SETTINGS advertise
        builder.nettyBuilder().protocolNegotiator(new Admitting(open, callsPerConnection, InternalProtocolNegotiators.serverPlaintext()));
    }

    /**
     * The plaintext negotiator, behind the caps. It also holds an admitted connection to its calls from
     * its first frame: Netty applies the SETTINGS_MAX_CONCURRENT_STREAMS the server sends only once the
     * client acknowledges them, and a client that never read them opened 100,000 calls on one connection.
     */
    private record Admitting(OpenConnections open, int callsPerConnection, InternalProtocolNegotiator.ProtocolNegotiator plaintext)
            implements InternalProtocolNegotiator.ProtocolNegotiator {

        @Override
        public AsciiString scheme() {
            return plaintext.scheme();
        }

        @Override
        public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpc) {
            ChannelHandler next = plaintext.newHandler(grpc);
            return new ChannelInboundHandlerAdapter() {
                @Override
                public void handlerAdded(ChannelHandlerContext ctx) {
                    if (open.admit(ctx.channel())) {
                        grpc.connection().remote().maxActiveStreams(callsPerConnection);
                        ctx.pipeline().replace(this, null, next);
                    } else {
                        ctx.close();
                    }
                }
            };
        }

        @Override
        public void close() {
            plaintext.close();
        }
    }
}
