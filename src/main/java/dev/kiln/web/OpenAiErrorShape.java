package dev.kiln.web;

import dev.kiln.embeddings.OpenAiErrors;
import dev.kiln.embeddings.OpenAiException;
import dev.kiln.embeddings.OpenAiRecords.Error;
import dev.kiln.embeddings.OpenAiRecords.ErrorEnvelope;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;
import org.jboss.resteasy.reactive.server.SimpleResourceInfo;

/**
 * On the OpenAI-compatible routes every error is in OpenAI's shape, whoever raised it (the
 * endpoint, the JSON reader, the body limits, the token check), because OpenAI's SDKs read
 * {@code error.message} from there. Decided by the resource the router matched, not by the path.
 */
public class OpenAiErrorShape {

    @ServerExceptionMapper
    public Response openAi(OpenAiException e) {
        return Response.status(ErrorMapper.status(e.kind())).type(MediaType.APPLICATION_JSON)
                .entity(new ErrorEnvelope(new Error(e.getMessage(), type(ErrorMapper.status(e.kind())), e.param(), e.code())))
                .build();
    }

    @ServerResponseFilter
    public void reshape(ContainerRequestContext request, ContainerResponseContext response, SimpleResourceInfo resource) {
        if (response.getStatus() >= 400 && response.getEntity() instanceof ErrorBody body
                && (openAi(resource) || unroutedUnderV1(request, resource))) {
            response.setEntity(envelope(response.getStatus(), body), null, MediaType.APPLICATION_JSON_TYPE);
        }
    }

    /**
     * A request refused before any method was chosen (415 for a body that is not JSON, 405, 404):
     * only the path can tell. Shape only; what a caller may do is decided on the matched method.
     */
    private static boolean unroutedUnderV1(ContainerRequestContext request, SimpleResourceInfo resource) {
        if (resource != null && resource.getResourceClass() != null) {
            return false;
        }
        String path = request.getUriInfo().getPath();
        return path.equals("/v1") || path.startsWith("/v1/");
    }

    /** For answers made before the response filters would see them (the token check's). */
    static Response reshaped(Response response, SimpleResourceInfo resource) {
        if (response.getEntity() instanceof ErrorBody body && openAi(resource)) {
            return Response.fromResponse(response).entity(envelope(response.getStatus(), body)).build();
        }
        return response;
    }

    private static boolean openAi(SimpleResourceInfo resource) {
        return resource != null && resource.getResourceClass() != null
                && resource.getResourceClass().isAnnotationPresent(OpenAiErrors.class);
    }

    private static ErrorEnvelope envelope(int status, ErrorBody body) {
        return new ErrorEnvelope(new Error(body.error(), type(status), null, code(status)));
    }

    /** OpenAI's error types. */
    static String type(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404, 400, 409, 411, 413, 415, 422 -> "invalid_request_error";
            case 429, 503, 507 -> "server_error";
            default -> status >= 500 ? "server_error" : "invalid_request_error";
        };
    }

    private static String code(int status) {
        return switch (status) {
            case 401 -> "invalid_api_key";
            case 404 -> "not_found";
            case 413 -> "request_too_large";
            default -> null;
        };
    }
}
