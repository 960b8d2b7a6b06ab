package dev.kiln.grpc;

import dev.kiln.testing.Startup;
import dev.kiln.testing.WithAdminToken;
import inference.GRPCInferenceServiceGrpc;
import inference.RepositoryIndexRequest;
import inference.RepositoryModelLoadRequest;
import inference.RepositoryModelUnloadRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The repository RPCs need the admin token as "authorization: Bearer" metadata, as REST needs the header. */
@QuarkusTest
@TestProfile(WithAdminToken.class)
class GrpcTokenTest {

    @ConfigProperty(name = "quarkus.grpc.server.test-port")
    int port;

    static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub(ManagedChannel channel, String token) {
        var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        if (token == null) {
            return stub;
        }
        Metadata m = new Metadata();
        m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m));
    }

    @Test
    void repositoryRpcsNeedTheToken() throws Exception {
        Startup.awaitStarted();
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        try {
            for (String token : new String[]{null, "wrong"}) {
                var anonymous = stub(channel, token);
                assertEquals(Status.Code.UNAUTHENTICATED, assertThrows(StatusRuntimeException.class,
                        () -> anonymous.repositoryIndex(RepositoryIndexRequest.getDefaultInstance())).getStatus().getCode());
                assertEquals(Status.Code.UNAUTHENTICATED, assertThrows(StatusRuntimeException.class,
                        () -> anonymous.repositoryModelUnload(RepositoryModelUnloadRequest.newBuilder().setModelName("ppocr-cls")
                                .build())).getStatus().getCode());
            }
            // A key the service cannot verify (an SDK's default) is ignored where inference is open.
            var someKey = stub(channel, "sk-not-the-admin-token");
            assertEquals(384 * 2 * 4, someKey.modelInfer(GrpcInferenceTest.miniLm(true, 101, 102)).getRawOutputContents(0).size());
            var admin = stub(channel, WithAdminToken.TOKEN);
            assertTrue(admin.repositoryIndex(RepositoryIndexRequest.newBuilder().setReady(true).build()).getModelsList().stream()
                    .anyMatch(m -> m.getName().equals("ppocr-cls") && m.getState().equals("READY")), "ppocr-cls READY before");
            admin.repositoryModelUnload(RepositoryModelUnloadRequest.newBuilder().setModelName("ppocr-cls").build());
            assertTrue(admin.repositoryIndex(RepositoryIndexRequest.getDefaultInstance()).getModelsList().stream()
                    .anyMatch(m -> m.getName().equals("ppocr-cls") && m.getState().equals("UNAVAILABLE")), "unloaded");
            admin.repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("ppocr-cls").build());
            assertTrue(admin.repositoryIndex(RepositoryIndexRequest.newBuilder().setReady(true).build()).getModelsList().stream()
                    .anyMatch(m -> m.getName().equals("ppocr-cls")), "loaded again");
            assertEquals(Status.Code.NOT_FOUND, assertThrows(StatusRuntimeException.class,
                    () -> admin.repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("nope").build()))
                    .getStatus().getCode());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}
