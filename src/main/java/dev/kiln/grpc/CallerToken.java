package dev.kiln.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Carries the call's {@code authorization} metadata to the service, where each RPC decides what it
 * needs (the admin token for the repository RPCs; for ModelInfer only with protect-inference), and
 * its {@code x-request-id}, which routes an unversioned ModelInfer as REST's X-Request-Id header does.
 */
@ApplicationScoped
@GlobalInterceptor
public class CallerToken implements ServerInterceptor {

    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    static final Context.Key<String> HEADER = Context.key("kiln-authorization");
    static final Metadata.Key<String> X_REQUEST_ID = Metadata.Key.of("x-request-id", Metadata.ASCII_STRING_MARSHALLER);
    static final Context.Key<String> REQUEST_ID = Context.key("kiln-request-id");

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        Context context = Context.current().withValues(HEADER, headers.get(AUTHORIZATION), REQUEST_ID, requestId(headers));
        return Contexts.interceptCall(context, call, headers, next);
    }

    /** As REST reads its X-Request-Id header: the first value, trimmed; a blank one is none. */
    private static String requestId(Metadata headers) {
        Iterable<String> values = headers.getAll(X_REQUEST_ID);
        if (values == null) {
            return null;
        }
        String first = values.iterator().next().trim();
        return first.isEmpty() ? null : first;
    }

    /** The call's x-request-id metadata, or null. */
    static String requestId() {
        return REQUEST_ID.get();
    }

    /** The caller's Authorization value, or null. */
    static String current() {
        return HEADER.get();
    }
}
