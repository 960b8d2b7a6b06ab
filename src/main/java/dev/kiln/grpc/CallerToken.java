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
 * needs (the admin token for the repository RPCs; for ModelInfer only with protect-inference).
 */
@ApplicationScoped
@GlobalInterceptor
public class CallerToken implements ServerInterceptor {

    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    static final Context.Key<String> HEADER = Context.key("kiln-authorization");

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        return Contexts.interceptCall(Context.current().withValue(HEADER, headers.get(AUTHORIZATION)), call, headers, next);
    }

    /** The caller's Authorization value, or null. */
    static String current() {
        return HEADER.get();
    }
}
