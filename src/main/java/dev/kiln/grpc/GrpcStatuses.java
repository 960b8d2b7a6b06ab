package dev.kiln.grpc;

import com.google.protobuf.Duration;
import com.google.rpc.Code;
import com.google.rpc.RetryInfo;
import dev.kiln.errors.KilnError;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import org.jboss.logging.Logger;

import java.util.concurrent.CompletionException;
import java.util.function.UnaryOperator;

/** The one place a domain error becomes a gRPC status, as the web edge's ErrorMapper does for HTTP. */
final class GrpcStatuses {

    private static final Logger LOG = Logger.getLogger(GrpcStatuses.class);

    private GrpcStatuses() {
    }

    static Status.Code code(KilnError.Kind kind) {
        return switch (kind) {
            case INVALID -> Status.Code.INVALID_ARGUMENT;
            case NOT_FOUND -> Status.Code.NOT_FOUND;
            case CONFLICT, UNPROCESSABLE, DEPENDENCY_MISSING -> Status.Code.FAILED_PRECONDITION;
            case UNAVAILABLE -> Status.Code.UNAVAILABLE;
            case INSUFFICIENT_MEMORY, TOO_LARGE -> Status.Code.RESOURCE_EXHAUSTED;
            case INTERNAL -> Status.Code.INTERNAL;
        };
    }

    /**
     * Any failure as the status a client acts on; UNAVAILABLE carries google.rpc.RetryInfo when a
     * retry can help. {@code clean} takes paths and class names out for callers without the token.
     */
    static StatusRuntimeException of(Throwable failure, UnaryOperator<String> clean) {
        Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (t instanceof StatusRuntimeException s) {
            return s;
        }
        if (t instanceof UnauthorizedException) {
            return Status.UNAUTHENTICATED.withDescription(t.getMessage()).asRuntimeException();
        }
        if (t instanceof ForbiddenException) {
            return Status.PERMISSION_DENIED.withDescription(t.getMessage()).asRuntimeException();
        }
        if (t instanceof KilnError e) {
            String message = clean.apply(e.getMessage());
            Status.Code code = code(e.kind());
            if (code == Status.Code.UNAVAILABLE && e.retryAfterSeconds() != null) {
                com.google.rpc.Status detailed = com.google.rpc.Status.newBuilder().setCode(Code.UNAVAILABLE_VALUE)
                        .setMessage(message).addDetails(com.google.protobuf.Any.pack(RetryInfo.newBuilder()
                                .setRetryDelay(Duration.newBuilder().setSeconds(e.retryAfterSeconds())).build()))
                        .build();
                return StatusProto.toStatusRuntimeException(detailed);
            }
            return Status.fromCode(code).withDescription(message).asRuntimeException();
        }
        LOG.error("unexpected failure in a gRPC call", t);
        return Status.INTERNAL.withDescription("internal error (details are in the server log)").asRuntimeException();
    }
}
