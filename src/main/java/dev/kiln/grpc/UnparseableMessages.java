package dev.kiln.grpc;

import com.google.protobuf.MessageLite;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A request message that is not valid protobuf gets INVALID_ARGUMENT with a reason, on every RPC.
 * grpc-java parses a message before any interceptor or service sees it, and answers whatever its
 * marshaller throws with UNKNOWN "Application error processing RPC", which reads like a fault of the
 * server. So each method's request marshaller hands on one marked instance for what it cannot parse,
 * and the method's handler answers that instance itself: the service never sees it.
 */
final class UnparseableMessages {

    private UnparseableMessages() {
    }

    /** The service with every method's request marshaller and handler made to answer unparseable messages. */
    static ServerServiceDefinition marked(ServerServiceDefinition service) {
        ServiceDescriptor original = service.getServiceDescriptor();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
                .setSchemaDescriptor(original.getSchemaDescriptor());
        List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
        for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
            ServerMethodDefinition<?, ?> kept = marking(method);
            methods.add(kept);
            descriptor.addMethod(kept.getMethodDescriptor());
        }
        ServerServiceDefinition.Builder marked = ServerServiceDefinition.builder(descriptor.build());
        methods.forEach(marked::addMethod);
        return marked.build();
    }

    private static <Q, R> ServerMethodDefinition<Q, R> marking(ServerMethodDefinition<Q, R> method) {
        MethodDescriptor<Q, R> strict = method.getMethodDescriptor();
        if (!(strict.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<Q> typed)
                || !(typed.getMessagePrototype() instanceof MessageLite prototype)) {
            return method;
        }
        @SuppressWarnings("unchecked")
        Q mark = (Q) prototype.toBuilder().build(); // a new instance, compared by identity: never one a parse returns
        String reason = "the message is not a " + prototype.getClass().getSimpleName() + ": it is not valid protobuf"
                + " (a client built from another .proto, or a damaged or truncated message)";
        MethodDescriptor<Q, R> marking = strict.toBuilder().setRequestMarshaller(new Marking<>(strict.getRequestMarshaller(), mark)).build();
        return ServerMethodDefinition.create(marking, new Answering<>(method.getServerCallHandler(), mark, reason));
    }

    private record Marking<Q>(MethodDescriptor.Marshaller<Q> strict, Q mark) implements MethodDescriptor.Marshaller<Q> {
        @Override
        public InputStream stream(Q value) {
            return strict.stream(value);
        }

        @Override
        public Q parse(InputStream stream) {
            try {
                return strict.parse(stream);
            } catch (StatusRuntimeException e) {
                return mark;
            }
        }
    }

    /** Closes a call whose message is the mark with INVALID_ARGUMENT; the service's handler never gets that message. */
    private record Answering<Q, R>(ServerCallHandler<Q, R> next, Q mark, String reason) implements ServerCallHandler<Q, R> {
        @Override
        public ServerCall.Listener<Q> startCall(ServerCall<Q, R> call, Metadata headers) {
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
                private boolean answered;

                @Override
                public void onMessage(Q message) {
                    if (message == mark) {
                        answered = true;
                        call.close(Status.INVALID_ARGUMENT.withDescription(reason), new Metadata());
                        return;
                    }
                    super.onMessage(message);
                }

                @Override
                public void onHalfClose() {
                    if (!answered) {
                        super.onHalfClose();
                    }
                }
            };
        }
    }
}
