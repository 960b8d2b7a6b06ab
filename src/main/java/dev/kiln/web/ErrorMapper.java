package dev.kiln.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every failure leaves as {@code {"error": "..."}} with a fitting status; never a stack trace. */
public class ErrorMapper {

    private static final Logger LOG = Logger.getLogger(ErrorMapper.class);

    @ServerExceptionMapper
    public Response kiln(KilnException e) {
        Response.ResponseBuilder b = Response.status(e.status()).type(MediaType.APPLICATION_JSON)
                .entity(new ErrorBody(e.getMessage()));
        if (e.retryAfterSeconds() != null) {
            b.header("Retry-After", e.retryAfterSeconds());
        }
        return b.build();
    }

    /** More specific than Quarkus's own mapper for it, which answers 400 with no body. */
    @ServerExceptionMapper
    public Response mismatched(MismatchedInputException e) {
        return error(400, JsonErrors.describe(e));
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException e) {
        return error(400, JsonErrors.describe(e));
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        Throwable cause = e.getCause();
        if (cause instanceof JsonProcessingException jpe) {
            return error(400, JsonErrors.describe(jpe));
        }
        String message = switch (status) {
            case 400 -> "malformed request";
            case 404 -> "no such endpoint";
            case 405 -> "method not allowed on this endpoint";
            case 406 -> "cannot produce the requested media type";
            case 413 -> "request body too large";
            case 415 -> "unsupported media type: send application/json";
            default -> e.getMessage();
        };
        return error(status, message);
    }

    @ServerExceptionMapper
    public Response unexpected(Exception e) {
        if (e instanceof UnrecognizedPropertyException u) {
            return error(400, JsonErrors.describe(u));
        }
        LOG.error("unexpected failure", e);
        return error(500, "internal error: " + e.getClass().getSimpleName()
                + (e.getMessage() != null ? ": " + e.getMessage() : ""));
    }

    private static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new ErrorBody(message)).build();
    }
}
