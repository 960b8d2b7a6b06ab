package dev.kiln.web;

import dev.kiln.errors.OutOfMemory;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * Failures that happen before a request reaches a resource (a path or query string that cannot be
 * decoded, a body over the hard limit) get the same {@code {"error": "..."}} answer as everything
 * else, instead of an empty body.
 */
@ApplicationScoped
public class RouterFailures {

    private static final Logger LOG = Logger.getLogger(RouterFailures.class);

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).failureHandler(ctx -> {
            if (ctx.response().headWritten()) {
                ctx.next();
                return;
            }
            if (ctx.response().closed()) {
                // As in ErrorMapper: the client left or Kiln closed it (a refused body): no one to answer.
                LOG.debugf("a request failed after its connection closed: %s", ctx.failure());
                return;
            }
            OutOfMemoryError oom = OutOfMemory.find(ctx.failure());
            if (oom != null) {
                // As later on the path: the heap is the request's problem to wait out, not a fault; said in
                // the log at most every ten seconds, so an operator sees it.
                OutOfMemory.report("a request to " + ctx.request().path(), oom);
                ctx.response().setStatusCode(507).putHeader("Content-Type", "application/json")
                        .end(new JsonObject().put("error", ErrorMapper.OUT_OF_MEMORY).encode());
                return;
            }
            int status = ctx.statusCode() >= 400 ? ctx.statusCode() : 500;
            String message = switch (status) {
                case 400 -> "malformed request: the path, query string or headers cannot be decoded";
                case 404 -> "no such endpoint";
                case 405 -> "method not allowed on this endpoint";
                case 413 -> "request body too large";
                default -> status >= 500 ? "internal error (details are in the server log)" : "request refused";
            };
            if (status >= 500) {
                LOG.error("request failed before reaching a resource", ctx.failure());
            }
            ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                    .end(new JsonObject().put("error", message).encode());
        });
    }
}
