package dev.kiln.grpc;

import inference.GRPCInferenceServiceGrpc;
import inference.ModelInferRequest;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.StatusRuntimeException;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A ModelInfer message that is not valid protobuf reaches the service as one marked instance, so the
 * caller gets INVALID_ARGUMENT with a reason. grpc-java parses a message before any interceptor or
 * service sees it, and answers whatever its marshaller throws with UNKNOWN "Application error
 * processing RPC", which reads like a fault of the server.
 */
final class UnparseableMessages {

    /** The marked instance: compared by identity, never the default instance an empty message parses to. */
    static final ModelInferRequest MODEL_INFER = ModelInferRequest.newBuilder().build();

    private UnparseableMessages() {
    }

    static boolean isUnparseable(ModelInferRequest request) {
        return request == MODEL_INFER;
    }

    /** The service with ModelInfer's request marshaller replaced by one that marks what it cannot parse. */
    static ServerServiceDefinition marked(ServerServiceDefinition service) {
        ServiceDescriptor original = service.getServiceDescriptor();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
                .setSchemaDescriptor(original.getSchemaDescriptor());
        List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
        for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
            ServerMethodDefinition<?, ?> kept = isModelInfer(method) ? marking(method) : method;
            methods.add(kept);
            descriptor.addMethod(kept.getMethodDescriptor());
        }
        ServerServiceDefinition.Builder marked = ServerServiceDefinition.builder(descriptor.build());
        methods.forEach(marked::addMethod);
        return marked.build();
    }

    private static boolean isModelInfer(ServerMethodDefinition<?, ?> method) {
        return method.getMethodDescriptor().getFullMethodName().equals(GRPCInferenceServiceGrpc.getModelInferMethod().getFullMethodName());
    }

    @SuppressWarnings("unchecked")
    private static <R> ServerMethodDefinition<ModelInferRequest, R> marking(ServerMethodDefinition<?, ?> method) {
        ServerMethodDefinition<ModelInferRequest, R> infer = (ServerMethodDefinition<ModelInferRequest, R>) method;
        MethodDescriptor<ModelInferRequest, R> strict = infer.getMethodDescriptor();
        return ServerMethodDefinition.create(strict.toBuilder().setRequestMarshaller(new Marking(strict.getRequestMarshaller())).build(),
                infer.getServerCallHandler());
    }

    private record Marking(MethodDescriptor.Marshaller<ModelInferRequest> strict) implements MethodDescriptor.Marshaller<ModelInferRequest> {
        @Override
        public InputStream stream(ModelInferRequest value) {
            return strict.stream(value);
        }

        @Override
        public ModelInferRequest parse(InputStream stream) {
            try {
                return strict.parse(stream);
            } catch (StatusRuntimeException e) {
                return MODEL_INFER;
            }
        }
    }
}
