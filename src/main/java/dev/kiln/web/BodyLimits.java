package dev.kiln.web;

import dev.kiln.config.AiModelsConfig;
import dev.kiln.errors.ClientText;
import dev.kiln.inference.InflightBytes;
import dev.kiln.security.MethodRoles;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.spi.ResteasyReactiveContainerRequestContext;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Request body limits, decided by the resource method the router matched (so no spelling of the
 * path changes them) and checked before the body is read. Methods that run models
 * ({@code @RolesAllowed(inference)}) take up to {@code ai.models.inference.max-request-bytes};
 * every other method takes up to {@code ai.models.max-management-body-bytes} and must say how long
 * its body is. Bodies of unknown length to inference are cut at the same limit by
 * {@code quarkus.http.limits.max-body-size}, which follows the inference setting. A body that runs
 * a model is also admitted against the bytes inference may hold ({@link InflightBytes}) before it is
 * read: by its declared length, or by the largest inference body when it declares none; while it
 * arrives slower than ai.models.inference.min-body-rate, a request that needs the room takes it (and
 * the sender, by its address, is on probation: see {@link InflightBytes}).
 */
public class BodyLimits {

    private final AiModelsConfig config;
    private final MethodRoles roles;
    private final InflightBytes inflight;
    private final Map<Method, Boolean> readsBody = new ConcurrentHashMap<>();

    public BodyLimits(AiModelsConfig config, MethodRoles roles, InflightBytes inflight) {
        this.config = config;
        this.roles = roles;
        this.inflight = inflight;
    }

    @ServerRequestFilter
    public Uni<Response> limit(RoutingContext context, ResteasyReactiveContainerRequestContext request, ResourceInfo resource) {
        Optional<Response> refused = encoded(context.request(), resource).or(() -> declared(context.request(), resource));
        if (refused.isEmpty() && roles.runsModels(resource) && readsBody(resource)) {
            refused = admitted(context, request);
            if (refused.isEmpty()) {
                return WholeBody.gather(context, request, config.inference().maxRequestBytes());
            }
        }
        return Uni.createFrom().item(refused.orElse(null));
    }

    /**
     * Holds the body's bytes in the inference budget until the call has read it (or the answer has
     * been sent, whichever comes first), or refuses it now with 503.
     */
    private Optional<Response> admitted(RoutingContext context, ResteasyReactiveContainerRequestContext request) {
        String length = context.request().getHeader("Content-Length");
        long bytes = length == null ? config.inference().maxRequestBytes() : Long.parseLong(length.trim());
        Optional<InflightBytes.Reservation> held = inflight.tryReserveBody(bytes,
                new ArrivingBody(context.request(), io.vertx.core.Vertx.currentContext()));
        if (held.isEmpty()) {
            return Optional.of(ErrorMapper.error(503, inflight.doesNotFit("this body of " + bytes + " bytes"
                    + (length == null ? " (undeclared: counted at the largest accepted)" : ""))))
                    .map(r -> Response.fromResponse(r).header("Retry-After", "1").build());
        }
        context.put(InflightBytes.BODY, held.get());
        // Given back when the call reads the body; else when the request ends, however it ends (a body
        // the HTTP layer cut off at its limit ends the request without the routing context's end handlers).
        request.getServerRequestContext().registerCompletionCallback(failure -> held.get().close());
        context.addEndHandler(done -> held.get().close());
        return Optional.empty();
    }

    /**
     * A compressed body is refused before it is read (415): Kiln does not inflate request bodies, so
     * its limits are the bytes the models see, and a gzip body would otherwise fail as malformed JSON.
     */
    private Optional<Response> encoded(HttpServerRequest request, ResourceInfo resource) {
        String encoding = request.getHeader("Content-Encoding");
        if (encoding == null || encoding.isBlank() || encoding.trim().equalsIgnoreCase("identity") || !readsBody(resource)) {
            return Optional.empty();
        }
        return Optional.of(ErrorMapper.error(415, "Content-Encoding '" + ClientText.printable(encoding.trim(), 40)
                + "' is not supported: send the body uncompressed"));
    }

    private Optional<Response> declared(HttpServerRequest request, ResourceInfo resource) {
        boolean runsModels = roles.runsModels(resource);
        long limit = runsModels ? config.inference().maxRequestBytes() : config.maxManagementBodyBytes();
        String setting = runsModels ? "ai.models.inference.max-request-bytes" : "ai.models.max-management-body-bytes";
        String length = request.getHeader("Content-Length");
        if (length == null) {
            return runsModels || !unsized(request) || !readsBody(resource) ? Optional.empty()
                    : Optional.of(ErrorMapper.error(411, "management requests must send Content-Length (bodies of unknown length are not accepted)"));
        }
        long declared;
        try {
            declared = Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return Optional.of(ErrorMapper.error(400, "Content-Length is not a number"));
        }
        if (declared > limit) {
            return Optional.of(ErrorMapper.error(413, "request body is " + declared + " bytes, larger than " + limit
                    + " bytes (" + setting + ")"));
        }
        return Optional.empty();
    }

    /**
     * Whether the method takes the request body (a parameter bound to nothing else). A method that
     * never reads the body cannot be flooded through it, so an HTTP/2 GET or a bodiless POST passes.
     */
    private boolean readsBody(ResourceInfo resource) {
        Method m = resource.getResourceMethod();
        return m != null && readsBody.computeIfAbsent(m, method -> Arrays.stream(method.getParameterAnnotations())
                .anyMatch(annotations -> Arrays.stream(annotations).noneMatch(a ->
                        a.annotationType().getPackageName().startsWith("jakarta.ws.rs")
                                || a.annotationType().getPackageName().startsWith("org.jboss.resteasy.reactive"))));
    }

    /** Chunked HTTP/1.1, or HTTP/2 without content-length: the size is unknown until it has been read. */
    private static boolean unsized(HttpServerRequest request) {
        String te = request.getHeader("Transfer-Encoding");
        return te != null && te.toLowerCase(Locale.ROOT).contains("chunked") || request.version() == HttpVersion.HTTP_2;
    }
}
