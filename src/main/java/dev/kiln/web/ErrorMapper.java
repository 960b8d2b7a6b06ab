package dev.kiln.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.kiln.errors.JsonErrors;
import dev.kiln.errors.KilnError;
import dev.kiln.errors.OutOfMemory;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Every failure leaves as {@code {"error": "..."}} with a fitting status; never a stack trace. */
public class ErrorMapper {

    private static final Logger LOG = Logger.getLogger(ErrorMapper.class);
    static final String OUT_OF_MEMORY = "Kiln ran out of memory for this request: retry shortly, or send a smaller one";

    /** The one place a domain error becomes an HTTP status. */
    public static int status(KilnError.Kind kind) {
        return switch (kind) {
            case INVALID -> 400;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
            case UNPROCESSABLE -> 422;
            case DEPENDENCY_MISSING -> 424;
            case UNAVAILABLE -> 503;
            case INSUFFICIENT_MEMORY -> 507;
            case TOO_LARGE -> 413;
            case INTERNAL -> 500;
        };
    }

    @ServerExceptionMapper
    public Response kiln(KilnError e) {
        Response.ResponseBuilder b = Response.status(status(e.kind())).type(MediaType.APPLICATION_JSON)
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
    public Response web(WebApplicationException e, HttpServerRequest request) {
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
            case 411 -> "this endpoint needs a Content-Length";
            case 413 -> "request body too large";
            case 415 -> "unsupported media type" + (request.path().equals("/v1/ocr")
                    ? ": send the image file itself (image/png or image/jpeg) or application/json with it in base64"
                    : ": send application/json");
            default -> status >= 500 ? "internal error (details are in the server log)" : "request refused";
        };
        return error(status, message);
    }

    /** Whatever else: logged in full here, answered without class names or paths. */
    @ServerExceptionMapper
    public Response unexpected(Exception e, HttpServerRequest request) {
        if (e instanceof UnrecognizedPropertyException u) {
            return error(400, JsonErrors.describe(u));
        }
        if (e instanceof java.io.IOException && "Request too large".equals(e.getMessage())) {
            // The HTTP layer cut off a body of undeclared length at quarkus.http.limits.max-body-size,
            // and has usually answered 413 itself already: then there is nothing left to write (null
            // writes nothing; writing again failed and logged an ERROR for every oversized upload).
            if (request.response().ended()) {
                return null;
            }
            return error(413, "request body too large");
        }
        if (request.response().closed() || request.response().ended()) {
            // The client left, or Kiln answered and closed the connection itself (a body refused as too
            // slow): no one to answer, and nothing for an operator to do (three of 46 such refusals logged
            // a 70-line stack trace, then a second one for writing an answer twice).
            LOG.debugf("a request failed after it was answered or its connection closed: %s", e);
            return null;
        }
        OutOfMemoryError oom = OutOfMemory.find(e);
        if (oom != null) {
            OutOfMemory.report("a request to " + request.path(), oom);
            return error(507, OUT_OF_MEMORY);
        }
        LOG.error("unexpected failure", e);
        return error(500, "internal error (details are in the server log)");
    }

    static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new ErrorBody(message)).build();
    }
}
