package dev.kiln.grpc;

import dev.kiln.config.AiModelsConfig;
import io.quarkus.grpc.api.ServerBuilderCustomizer;
import io.quarkus.grpc.runtime.config.GrpcServerConfiguration;
import io.vertx.grpc.VertxServerBuilder;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The largest gRPC message Kiln reads: {@code ai.models.inference.max-request-bytes}, and at most a
 * 64th of the heap. grpc-java parses a message whole before Kiln sees it, and typed contents grow
 * as they are parsed (a packed {@code int64_contents} of zeros takes 8 bytes a byte, more while its
 * list grows): 60 MB messages, under the 64 MiB REST limit, ended in OutOfMemoryError on the event
 * loop of a 512 MiB heap. The heap's 64th keeps one such message near a quarter of it. An explicit
 * {@code quarkus.grpc.server.max-inbound-message-size} still wins: Quarkus applies it after this.
 */
@ApplicationScoped
public class GrpcMessageLimit implements ServerBuilderCustomizer<VertxServerBuilder> {

    private final long maxRequestBytes;

    public GrpcMessageLimit(AiModelsConfig config) {
        this.maxRequestBytes = config.inference().maxRequestBytes();
    }

    @Override
    public void customize(GrpcServerConfiguration config, VertxServerBuilder builder) {
        builder.maxInboundMessageSize(limit(maxRequestBytes, Runtime.getRuntime().maxMemory()));
    }

    /** The limit for a heap of {@code heapBytes}: at least 1 MiB, so a small heap still takes ordinary tensors. */
    static int limit(long maxRequestBytes, long heapBytes) {
        long byHeap = Math.max(1L << 20, heapBytes / 64);
        return (int) Math.min(Integer.MAX_VALUE, Math.min(maxRequestBytes, byHeap));
    }
}
