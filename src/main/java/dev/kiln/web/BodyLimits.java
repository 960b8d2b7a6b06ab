package dev.kiln.web;

import dev.kiln.config.AiModelsConfig;
import dev.kiln.security.MethodRoles;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

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
 * {@code quarkus.http.limits.max-body-size}, which follows the inference setting.
 */
public class BodyLimits {

    private final AiModelsConfig config;
    private final MethodRoles roles;
    private final Map<Method, Boolean> readsBody = new ConcurrentHashMap<>();

    public BodyLimits(AiModelsConfig config, MethodRoles roles) {
        this.config = config;
        this.roles = roles;
    }

    @ServerRequestFilter
    public Optional<Response> limit(HttpServerRequest request, ResourceInfo resource) {
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
