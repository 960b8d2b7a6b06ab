package dev.kiln.grpc;

import com.google.rpc.RetryInfo;
import dev.kiln.errors.KilnError;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import org.junit.jupiter.api.Test;

import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Where REST says 409, 503 or 507, gRPC says FAILED_PRECONDITION, UNAVAILABLE (with RetryInfo) or RESOURCE_EXHAUSTED. */
class GrpcStatusesTest {

    @Test
    void everyKindHasItsCode() throws Exception {
        assertEquals(Status.Code.FAILED_PRECONDITION, code(KilnError.conflict("disabled")));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, code(new KilnError(KilnError.Kind.INSUFFICIENT_MEMORY, "no room")));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(KilnError.invalid("bad")));
        assertEquals(Status.Code.NOT_FOUND, code(KilnError.notFound("who")));
        StatusRuntimeException busy = GrpcStatuses.of(KilnError.unavailable("queue full", 3), UnaryOperator.identity());
        assertEquals(Status.Code.UNAVAILABLE, busy.getStatus().getCode());
        RetryInfo retry = StatusProto.fromThrowable(busy).getDetails(0).unpack(RetryInfo.class);
        assertEquals(3, retry.getRetryDelay().getSeconds());
        assertEquals(Status.Code.INTERNAL, code(new IllegalStateException("boom")));
    }

    static Status.Code code(Throwable t) {
        return GrpcStatuses.of(t, UnaryOperator.identity()).getStatus().getCode();
    }
}
