package dev.kiln.web;

import dev.kiln.security.AdminToken;
import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.UnauthorizedException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;
import org.jboss.resteasy.reactive.server.SimpleResourceInfo;

/**
 * Answers for a method whose role the caller lacks: 401 with a Bearer challenge when a token would
 * help, 403 saying how to set one when none is configured but one is required.
 */
public class AccessDenied {

    static final String LOCKED = "this endpoint changes the service and no admin token is configured: "
            + "set AI_MODELS_ADMIN_TOKEN (e.g. from a Kubernetes Secret) and send 'Authorization: Bearer <token>', "
            + "or set AI_MODELS_ALLOW_UNAUTHENTICATED_ADMIN=true on a trusted network";
    static final String NEEDS_TOKEN = "missing or wrong admin token: send 'Authorization: Bearer <token>'";

    private final AdminToken token;

    public AccessDenied(AdminToken token) {
        this.token = token;
    }

    @ServerExceptionMapper({UnauthorizedException.class, AuthenticationFailedException.class})
    public Response unauthorized(SimpleResourceInfo resource) {
        if (token.mode() == AdminToken.Mode.LOCKED) {
            return OpenAiErrorShape.reshaped(ErrorMapper.error(403, LOCKED), resource);
        }
        return OpenAiErrorShape.reshaped(Response.status(401).type(MediaType.APPLICATION_JSON)
                .header("WWW-Authenticate", "Bearer realm=\"kiln\"")
                .entity(new ErrorBody(NEEDS_TOKEN)).build(), resource);
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e, SimpleResourceInfo resource) {
        return OpenAiErrorShape.reshaped(token.mode() == AdminToken.Mode.LOCKED ? ErrorMapper.error(403, LOCKED)
                : ErrorMapper.error(403, "the presented credentials do not allow this"), resource);
    }
}
