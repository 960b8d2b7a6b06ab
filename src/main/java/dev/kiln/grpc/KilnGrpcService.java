package dev.kiln.grpc;

import dev.kiln.catalog.ModelRepository;
import dev.kiln.errors.KilnError;
import dev.kiln.errors.Redactor;
import dev.kiln.inference.InflightBytes;
import dev.kiln.inference.ShadowRuns;
import dev.kiln.inference.V2Records;
import dev.kiln.inference.V2Queries;
import dev.kiln.registry.ServedModels;
import dev.kiln.routing.Route;
import dev.kiln.routing.VersionRouter;
import dev.kiln.runtime.TensorSpec;
import dev.kiln.security.AdminToken;
import dev.kiln.telemetry.UsageTracker;
import inference.MutinyGRPCInferenceServiceGrpc;
import inference.ModelInferRequest;
import inference.ModelInferResponse;
import inference.ModelMetadataRequest;
import inference.ModelMetadataResponse;
import inference.ModelReadyRequest;
import inference.ModelReadyResponse;
import inference.RepositoryIndexRequest;
import inference.RepositoryIndexResponse;
import inference.RepositoryModelLoadRequest;
import inference.RepositoryModelLoadResponse;
import inference.RepositoryModelUnloadRequest;
import inference.RepositoryModelUnloadResponse;
import inference.ServerLiveRequest;
import inference.ServerLiveResponse;
import inference.ServerMetadataRequest;
import inference.ServerMetadataResponse;
import inference.ServerReadyRequest;
import inference.ServerReadyResponse;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;

import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * KServe V2 over gRPC, with Triton's repository RPCs. A thin edge: every RPC asks the same services
 * as the REST resources (registry, router, inference path, V2Queries), so both transports share versions, routes, queues,
 * batching, leases, telemetry and metrics; only the status codes are gRPC's (GrpcStatuses).
 */
@GrpcService
public class KilnGrpcService extends MutinyGRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {

    private final ShadowRuns shadows;
    private final VersionRouter router;
    private final ServedModels served;
    private final V2Queries queries;
    private final AdminToken token;
    private final UsageTracker usage;
    private final Redactor redactor;
    private final InflightBytes inflight;
    /** Where answers are serialised when the call came on no event loop: Quarkus's worker pool, never the inference workers. */
    private final Executor workers = Infrastructure.getDefaultExecutor();
    private final LoopCalls loopCalls = new LoopCalls();

    public KilnGrpcService(ShadowRuns shadows, VersionRouter router, ServedModels served, V2Queries queries, AdminToken token,
                           UsageTracker usage, ModelRepository repository, InflightBytes inflight) {
        this.shadows = shadows;
        this.router = router;
        this.inflight = inflight;
        this.served = served;
        this.queries = queries;
        this.token = token;
        this.usage = usage;
        this.redactor = new Redactor(repository.root().toString());
    }

    /** The generated definition, but a request message that is not protobuf gets INVALID_ARGUMENT, not UNKNOWN. */
    @Override
    public ServerServiceDefinition bindService() {
        return UnparseableMessages.marked(super.bindService());
    }

    @Override
    public Uni<ServerLiveResponse> serverLive(ServerLiveRequest request) {
        return Uni.createFrom().item(ServerLiveResponse.newBuilder().setLive(true).build());
    }

    @Override
    public Uni<ServerReadyResponse> serverReady(ServerReadyRequest request) {
        return answer(() -> ServerReadyResponse.newBuilder().setReady(queries.serverReady().ready()).build());
    }

    @Override
    public Uni<ModelReadyResponse> modelReady(ModelReadyRequest request) {
        return answer(() -> {
            return ModelReadyResponse.newBuilder().setReady(queries.modelReady(request.getName(), request.getVersion()).ready()).build();
        });
    }

    @Override
    public Uni<ServerMetadataResponse> serverMetadata(ServerMetadataRequest request) {
        return answer(() -> {
            V2Records.ServerMetadata m = queries.serverMetadata();
            return ServerMetadataResponse.newBuilder().setName(m.name()).setVersion(m.version())
                    .addAllExtensions(m.extensions()).build();
        });
    }

    @Override
    public Uni<ModelMetadataResponse> modelMetadata(ModelMetadataRequest request) {
        return answer(() -> {
            V2Records.ModelMetadata m = queries.metadata(request.getName(), request.getVersion());
            ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder().setName(m.name()).addAllVersions(m.versions())
                    .setPlatform(m.platform());
            tensors(m.inputs()).forEach(b::addInputs);
            tensors(m.outputs()).forEach(b::addOutputs);
            return b.build();
        });
    }

    @Override
    public Uni<ModelInferResponse> modelInfer(ModelInferRequest request) {
        String caller = CallerToken.current();
        try {
            if (token.protectsInference() && !token.admits(caller)) {
                throw Status.UNAUTHENTICATED.withDescription("inference is protected: send the admin token as"
                        + " 'authorization: Bearer <token>' metadata").asRuntimeException();
            }
            // model_version (a number or an alias) names the version; without it, the model's default route picks
            // one, by the request's id when it has one (so a retry lands on the same version): the x-request-id
            // metadata first, as REST takes its X-Request-Id header before the body's id, else the message's id.
            Route route = router.route(request.getModelName(), request.getModelVersion(), () -> {
                String header = CallerToken.requestId();
                return header != null ? header : request.getId();
            });
            GrpcCall call = new GrpcCall(request, route.version());
            usage.recordTransport(route.model(), route.version(), "grpc");
            InflightBytes.Reservation held = admitted(request);
            LoopCalls.Held onLoop = loopCalls.arrive();
            Executor loop = answers();
            // Submitted as the loop's next task, once it has read what else came in with this call (the other
            // calls of its connection), so that whether it may run on the loop counts them. The answer is
            // serialised off the inference workers (a worker's time is for models), on the event loop the
            // call came on, which writes it anyway: no extra thread in between.
            return Uni.createFrom().completionStage(() -> {
                        call.aloneOnItsLoop(onLoop.alone());
                        return shadows.infer(route, call, () -> new GrpcCall(request, route.shadow()));
                    })
                    .runSubscriptionOn(loop)
                    .emitOn(loop)
                    .onTermination().invoke(() -> {
                        onLoop.close();
                        held.close();
                    })
                    .onFailure().transform(f -> GrpcStatuses.of(f, clean(caller)));
        } catch (RuntimeException f) {
            return Uni.createFrom().failure(GrpcStatuses.of(f, clean(caller)));
        }
    }

    @Override
    public Uni<RepositoryIndexResponse> repositoryIndex(RepositoryIndexRequest request) {
        return admin(() -> {
            RepositoryIndexResponse.Builder b = RepositoryIndexResponse.newBuilder();
            queries.index(request.getReady())
                    .forEach(m -> b.addModels(RepositoryIndexResponse.ModelIndex.newBuilder().setName(m.name())
                            .setVersion(m.version()).setState(m.state()).setReason(m.reason() == null ? "" : m.reason())));
            return b.build();
        });
    }

    @Override
    @Blocking
    public Uni<RepositoryModelLoadResponse> repositoryModelLoad(RepositoryModelLoadRequest request) {
        return admin(() -> {
            V2Queries.requireLoaded(served.load(request.getModelName()));
            return RepositoryModelLoadResponse.getDefaultInstance();
        });
    }

    @Override
    @Blocking
    public Uni<RepositoryModelUnloadResponse> repositoryModelUnload(RepositoryModelUnloadRequest request) {
        return admin(() -> {
            served.unload(request.getModelName());
            return RepositoryModelUnloadResponse.getDefaultInstance();
        });
    }

    /** The event loop of the call being received, or the worker pool when there is none. */
    private Executor answers() {
        io.vertx.core.Context context = io.vertx.core.Vertx.currentContext();
        return context == null ? workers : task -> context.runOnContext(ignored -> task.run());
    }

    /** The message's bytes held in the inference budget until it is answered, as a REST body's are. */
    private InflightBytes.Reservation admitted(ModelInferRequest request) {
        long bytes = request.getSerializedSize();
        return inflight.tryReserve(bytes).orElseThrow(() -> KilnError.unavailable(
                inflight.doesNotFit("this message of " + bytes + " bytes"), 1));
    }

    /** Runs an RPC that needs the admin token: UNAUTHENTICATED without it, PERMISSION_DENIED when none is set in prod. */
    private <T> Uni<T> admin(Supplier<T> rpc) {
        String caller = CallerToken.current();
        if (token.mode() == AdminToken.Mode.LOCKED) {
            return Uni.createFrom().failure(Status.PERMISSION_DENIED.withDescription("no admin token is configured:"
                    + " set AI_MODELS_ADMIN_TOKEN and send 'authorization: Bearer <token>' metadata").asRuntimeException());
        }
        if (!token.admits(caller)) {
            return Uni.createFrom().failure(Status.UNAUTHENTICATED.withDescription("missing or wrong admin token: send"
                    + " 'authorization: Bearer <token>' metadata").asRuntimeException());
        }
        return answer(rpc, UnaryOperator.identity());
    }

    private <T> Uni<T> answer(Supplier<T> rpc) {
        return answer(rpc, clean(CallerToken.current()));
    }

    private static <T> Uni<T> answer(Supplier<T> rpc, UnaryOperator<String> clean) {
        try {
            return Uni.createFrom().item(rpc.get());
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(GrpcStatuses.of(e, clean));
        }
    }

    /** Callers without the token get answers without paths and class names, as on REST. */
    private UnaryOperator<String> clean(String caller) {
        return token.mode() == AdminToken.Mode.TOKEN && token.admits(caller) ? UnaryOperator.identity() : redactor::redact;
    }

    private static List<ModelMetadataResponse.TensorMetadata> tensors(List<TensorSpec> specs) {
        if (specs == null) {
            return List.of();
        }
        return specs.stream().map(s -> {
            ModelMetadataResponse.TensorMetadata.Builder t = ModelMetadataResponse.TensorMetadata.newBuilder()
                    .setName(s.name()).setDatatype(s.datatype());
            for (long d : s.shape()) {
                t.addShape(d);
            }
            return t.build();
        }).toList();
    }
}
