package dev.kiln.inference;

import dev.kiln.errors.ClientText;
import dev.kiln.errors.KilnError;
import dev.kiln.inference.V2Records.InferRequest;
import dev.kiln.inference.V2Records.ModelMetadata;
import dev.kiln.inference.V2Records.ModelReady;
import dev.kiln.inference.V2Records.ModelStatistics;
import dev.kiln.inference.V2Records.RepositoryIndexRequest;
import dev.kiln.inference.V2Records.RepositoryModel;
import dev.kiln.inference.V2Records.ServerLive;
import dev.kiln.inference.V2Records.ServerMetadata;
import dev.kiln.inference.V2Records.ServerReady;
import dev.kiln.registry.ModelStatus;
import dev.kiln.registry.ServedModels;
import dev.kiln.routing.Route;
import dev.kiln.routing.VersionRouter;
import dev.kiln.security.Roles;
import dev.kiln.telemetry.UsageTracker;
import io.smallrye.common.annotation.Blocking;
import io.vertx.ext.web.RoutingContext;
import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * KServe Open Inference Protocol (V2) over REST, plus the model repository extension. A model's
 * versions are {@code /v2/models/{m}/versions/{v}/...}, where {@code v} is a version number or an
 * alias; the unversioned paths follow the model's default route.
 */
@PermitAll
@Path("/v2")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "V2 inference", description = "KServe Open Inference Protocol (REST) and the repository extension")
public class V2Resource {

    private final ServedModels served;
    private final V2Queries queries;
    private final UsageTracker usage;
    private final V2Codec codec;
    private final VersionRouter router;
    private final ShadowRuns shadows;

    public V2Resource(ServedModels served, V2Queries queries, UsageTracker usage, V2Codec codec, VersionRouter router,
                      ShadowRuns shadows) {
        this.router = router;
        this.shadows = shadows;
        this.codec = codec;
        this.usage = usage;
        this.served = served;
        this.queries = queries;
    }

    @GET
    @Operation(summary = "Server metadata")
    public ServerMetadata server() {
        return queries.serverMetadata();
    }

    @GET
    @Path("/health/live")
    @Operation(summary = "Server liveness: 200 while the process can answer")
    public ServerLive live() {
        return new ServerLive(true);
    }

    @GET
    @Path("/health/ready")
    @Operation(summary = "Server readiness: 200 when every model that must be resident is READY, else 400")
    @APIResponse(responseCode = "400", description = "Not ready")
    public Response ready() {
        ServerReady ready = queries.serverReady();
        return Response.status(ready.ready() ? 200 : 400).entity(ready).build();
    }

    @GET
    @Path("/models/{model}")
    @Blocking
    @Operation(summary = "Model metadata: platform, versions served, inputs and outputs",
            description = "From the loaded session, or read from the model file when it was never loaded: asking never loads a model. "
                    + "Inputs and outputs are those of the version most unversioned calls reach.")
    @APIResponse(responseCode = "404", description = "Unknown model")
    public ModelMetadata metadata(@PathParam("model") String model) {
        return queries.metadata(model, null);
    }

    @GET
    @Path("/models/{model}/versions/{version}")
    @Blocking
    @Operation(summary = "Metadata of one version (a number or an alias)")
    @APIResponse(responseCode = "404", description = "Unknown model, or a version it does not serve")
    public ModelMetadata versionMetadata(@PathParam("model") String model, @PathParam("version") String version) {
        return queries.metadata(model, version);
    }

    @GET
    @Path("/models/{model}/ready")
    @Operation(summary = "Model readiness: 200 when READY, else 400 with the state and reason")
    @APIResponse(responseCode = "404", description = "Unknown model")
    public Response modelReady(@PathParam("model") String model) {
        ModelReady ready = queries.modelReady(model, null);
        return Response.status(ready.ready() ? 200 : 400).entity(ready).build();
    }

    @GET
    @Path("/models/{model}/versions/{version}/ready")
    @Operation(summary = "Readiness of one version (a number or an alias): 200 when READY, else 400 with the state and reason")
    @APIResponse(responseCode = "404", description = "Unknown model, or a version it does not serve")
    public Response versionReady(@PathParam("model") String model, @PathParam("version") String version) {
        ModelReady ready = queries.modelReady(model, version);
        return Response.status(ready.ready() ? 200 : 400).entity(ready).build();
    }

    @RolesAllowed(Roles.INFERENCE)
    @POST
    @Path("/models/{model}/infer")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Run inference; a model that is not loaded is loaded first (single flight)",
            description = "The model's default route picks the version: its routing weights (by the request's id, from the "
                    + "X-Request-Id header or the body's id, so a retry lands on the same version), else its stable alias, else its "
                    + "highest version. A shadow version, when routing names one, gets a copy whose answer is compared, never returned.")
    @APIResponse(responseCode = "400", description = "Malformed request, wrong datatype or shape, missing or unknown input")
    @APIResponse(responseCode = "404", description = "Unknown model")
    @APIResponse(responseCode = "409", description = "Model disabled")
    @APIResponse(responseCode = "413", description = "Body larger than ai.models.inference.max-request-bytes")
    @APIResponse(responseCode = "503", description = "Queue full or model unavailable; see Retry-After")
    @APIResponse(responseCode = "507", description = "The model is not loaded and does not fit the memory budget now")
    @RequestBody(description = "V2 JSON; or, with the binary tensor data extension, the JSON header "
            + "(Inference-Header-Content-Length bytes) followed by the binary inputs",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = InferRequest.class)))
    public CompletionStage<Response> infer(@PathParam("model") String model,
                                           @HeaderParam(BINARY_HEADER) String headerLength, byte[] body,
                                           @Context RoutingContext context) {
        int length = headerLength(headerLength);
        String header = context.request().getHeader(REQUEST_ID);
        Route route = router.route(model, null, () -> header != null && !header.isEmpty() ? header : codec.requestId(body, length));
        return run(route, length, body, context);
    }

    @RolesAllowed(Roles.INFERENCE)
    @POST
    @Path("/models/{model}/versions/{version}/infer")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Run inference on one version of a model: a version number, or an alias (stable, canary, ...)",
            description = "Never split nor shadowed: the call goes to the version it names.")
    @APIResponse(responseCode = "404", description = "Unknown model, or a version it does not serve")
    public CompletionStage<Response> inferVersion(@PathParam("model") String model, @PathParam("version") String version,
                                                  @HeaderParam(BINARY_HEADER) String headerLength, byte[] body,
                                                  @Context RoutingContext context) {
        int length = headerLength(headerLength);
        return run(router.route(model, version, null), length, body, context);
    }

    private CompletionStage<Response> run(Route route, int length, byte[] body, RoutingContext context) {
        String model = route.model();
        usage.recordTransport(model, route.version(), "rest");
        InflightBytes.Reservation held = context.get(InflightBytes.BODY);
        InferenceCall<V2Answer> call = codec.call(model, route.version(), body, length, held, () -> context.response().closed());
        return shadows.infer(route, call, () -> codec.call(model, route.shadow(), body, length, null)).thenApply(V2Resource::answer);
    }

    @GET
    @Path("/models/stats")
    @Operation(summary = "Inference statistics of every version of every model (the statistics extension, as Triton defines it)")
    public ModelStatistics stats() {
        return queries.statistics(null, null);
    }

    @GET
    @Path("/models/{model}/stats")
    @Operation(summary = "Inference statistics of a model's versions: counts and nanoseconds of queue, input, infer and output, "
            + "per batch size; aliases and shadow runs per version")
    @APIResponse(responseCode = "404", description = "Unknown model")
    public ModelStatistics modelStats(@PathParam("model") String model) {
        return queries.statistics(model, null);
    }

    @GET
    @Path("/models/{model}/versions/{version}/stats")
    @Operation(summary = "Inference statistics of one version (a number or an alias)")
    @APIResponse(responseCode = "404", description = "Unknown model, or a version it does not serve")
    public ModelStatistics versionStats(@PathParam("model") String model, @PathParam("version") String version) {
        return queries.statistics(model, version);
    }

    /** The binary extension's header: the JSON part's length. */
    static final String BINARY_HEADER = "Inference-Header-Content-Length";
    /** A caller's id for the request: where a split route sends it, before the body's own id. */
    static final String REQUEST_ID = "X-Request-Id";

    private static int headerLength(String value) {
        if (value == null || value.isBlank()) {
            return -1;
        }
        try {
            int n = Integer.parseInt(value.trim());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw KilnError.invalid(BINARY_HEADER + " must be a non-negative integer");
        }
    }

    private static Response answer(V2Answer a) {
        if (!a.binary()) {
            return Response.ok(a.body(), MediaType.APPLICATION_JSON).build();
        }
        return Response.ok(a.body(), MediaType.APPLICATION_OCTET_STREAM).header(BINARY_HEADER, a.headerLength()).build();
    }

    /** A POST only because the protocol says so: it lists, and changes nothing (rescans need the admin token). */
    @POST
    @Path("/repository/index")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "List every version of every model the registry knows, with its state and reason",
            description = "Read-only. To pick up directories added or removed on disk, call POST /api/v1/setup/ai-models/rescan "
                    + "(admin), POST /v2/repository/models/{model}/load (admin), or set ai.models.repository-poll-interval.")
    public List<RepositoryModel> index(RepositoryIndexRequest request) {
        return queries.index(request != null && Boolean.TRUE.equals(request.ready()));
    }

    @RolesAllowed(Roles.ADMIN)
    @POST
    @Path("/repository/models/{model}/load")
    @Consumes(MediaType.WILDCARD)
    @Blocking
    @Operation(summary = "Load a model: every version it serves (waits for a load already running instead of starting another)",
            description = "A model directory added to the repository since the last scan is picked up by its name.")
    @APIResponse(responseCode = "404", description = "Unknown model")
    @APIResponse(responseCode = "409", description = "Model disabled")
    @APIResponse(responseCode = "500", description = "The model failed to load; the error has ONNX Runtime's reason")
    public RepositoryModel load(@PathParam("model") String model) {
        ModelStatus status = served.load(model);
        return V2Queries.requireLoaded(status);
    }

    @RolesAllowed(Roles.ADMIN)
    @POST
    @Path("/repository/models/{model}/unload")
    @Consumes(MediaType.WILDCARD)
    @Blocking
    @Operation(summary = "Unload a model (every version) after in-flight requests drain")
    @APIResponse(responseCode = "404", description = "Unknown model")
    @APIResponse(responseCode = "409", description = "Requests still in flight after the drain timeout; the model stays loaded")
    public RepositoryModel unload(@PathParam("model") String model) {
        return V2Queries.repositoryModel(served.unload(model));
    }
}
