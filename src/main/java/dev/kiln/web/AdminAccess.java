package dev.kiln.web;

import dev.kiln.config.AiModelsConfig;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Who may change things. Mutating endpoints (every non-GET under /api/v1/setup, and V2 model
 * load/unload; inference too with protect-inference) need {@code Authorization: Bearer <token>}
 * when a token is set. Where a token is required but none is configured (the prod profile), they
 * answer 403 saying how to set one. Management bodies are size-limited here as well.
 */
@ApplicationScoped
public class AdminAccess {

    private static final Pattern V2_LIFECYCLE = Pattern.compile("^/v2/repository/models/[^/]+/(load|unload)$");
    private static final Pattern V2_INFER = Pattern.compile("^/v2/models/[^/]+(/versions/[^/]+)?/infer$");

    private final Optional<byte[]> token;
    private final AiModelsConfig config;

    public AdminAccess(AiModelsConfig config) {
        this.config = config;
        this.token = config.adminToken().filter(t -> !t.isBlank()).map(AdminAccess::digest);
    }

    @ServerRequestFilter(preMatching = true)
    public Optional<Response> filter(HttpServerRequest request) {
        String path = request.path();
        boolean mutating = request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD
                && request.method() != HttpMethod.OPTIONS;
        boolean management = path.startsWith("/api/v1/setup") && mutating;
        boolean lifecycle = mutating && V2_LIFECYCLE.matcher(path).matches();
        boolean inference = config.protectInference() && V2_INFER.matcher(path).matches();
        if (management && isChunked(request)) {
            return Optional.of(error(411, "management requests must send Content-Length (bodies of unknown length are not accepted)"));
        }
        if (management && tooLarge(request)) {
            return Optional.of(error(413, "request body is larger than " + config.maxManagementBodyBytes()
                    + " bytes (ai.models.max-management-body-bytes)"));
        }
        if (!management && !lifecycle && !inference) {
            return Optional.empty();
        }
        if (token.isEmpty()) {
            if (config.adminTokenRequired() && !config.allowUnauthenticatedAdmin()) {
                return Optional.of(error(403, "this endpoint changes the service and no admin token is configured: "
                        + "set AI_MODELS_ADMIN_TOKEN (e.g. from a Kubernetes Secret) and send 'Authorization: Bearer <token>', "
                        + "or set AI_MODELS_ALLOW_UNAUTHENTICATED_ADMIN=true on a trusted network"));
            }
            return Optional.empty();
        }
        if (!presented(request.getHeader("Authorization"))) {
            return Optional.of(Response.status(401).type(MediaType.APPLICATION_JSON)
                    .header("WWW-Authenticate", "Bearer realm=\"kiln\"")
                    .entity(new ErrorBody("missing or wrong admin token: send 'Authorization: Bearer <token>'")).build());
        }
        return Optional.empty();
    }

    /**
     * A body without a declared length (chunked HTTP/1.1, or HTTP/2 without content-length) cannot
     * be checked against the limit up front, so it is refused.
     */
    private static boolean isChunked(HttpServerRequest request) {
        String te = request.getHeader("Transfer-Encoding");
        boolean chunked = te != null && te.toLowerCase(java.util.Locale.ROOT).contains("chunked");
        boolean unsizedHttp2 = request.version() == io.vertx.core.http.HttpVersion.HTTP_2
                && request.getHeader("Content-Length") == null;
        return chunked || unsizedHttp2;
    }

    private boolean tooLarge(HttpServerRequest request) {
        String length = request.getHeader("Content-Length");
        try {
            return length != null && Long.parseLong(length.trim()) > config.maxManagementBodyBytes();
        } catch (NumberFormatException e) {
            return true;
        }
    }

    /**
     * Compares digests in constant time, so response timing reveals neither how much of a guess
     * was right nor the token's length.
     */
    private boolean presented(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(digest(header.substring(7).trim()), token.get());
    }

    private static byte[] digest(String value) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new ErrorBody(message)).build();
    }
}
