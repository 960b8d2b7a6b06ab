package dev.kiln.web;

import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.core.ResteasyReactiveRequestContext;
import org.jboss.resteasy.reactive.server.spi.ResteasyReactiveContainerRequestContext;

/**
 * An inference body read whole on the event loop, with no thread waiting for it, before its method
 * runs. Quarkus otherwise hands a body over 10 KB to a worker as a stream over the socket: each body
 * that stopped coming held a worker for the 60 s read timeout (32 bodies that sent 12 KB of 30 KB and
 * stopped took a 32-thread pool, and nothing else with a body was answered). A body that stops is
 * refused by the inflight budget instead; one of undeclared length that grows past the largest
 * accepted is refused here, 413, as the stream used to refuse it.
 */
final class WholeBody {

    private WholeBody() {
    }

    /** Completes with null once the body is in (the method reads it from memory), or with a refusal. */
    static Uni<Response> gather(RoutingContext context, ResteasyReactiveContainerRequestContext request, long max) {
        HttpServerRequest http = context.request();
        if (http.isEnded()) {
            return Uni.createFrom().nullItem();
        }
        String length = http.getHeader("Content-Length");
        ResteasyReactiveRequestContext rest = (ResteasyReactiveRequestContext) request.getServerRequestContext();
        BodyBytes[] whole = {new BodyBytes(length == null ? -1 : Long.parseLong(length.trim()))};
        return Uni.createFrom().emitter(done -> {
            boolean[] refused = {false};
            http.handler(chunk -> {
                if (context.response().ended()) {
                    whole[0] = null; // refused while it came (the budget gave its room away): the rest is dropped
                }
                if (refused[0] || whole[0] == null) {
                    return;
                }
                if (whole[0].length() + (long) chunk.length() > max) {
                    refused[0] = true;
                    whole[0] = null;
                    done.complete(Response.fromResponse(ErrorMapper.error(413, "request body is larger than " + max
                            + " bytes (ai.models.inference.max-request-bytes)")).header("Connection", "close").build());
                    return;
                }
                whole[0].append(chunk.getByteBuf());
            });
            http.exceptionHandler(failure -> {
                if (!refused[0]) {
                    done.fail(failure);
                }
            });
            http.endHandler(ended -> {
                if (context.response().ended() || whole[0] == null && !refused[0]) {
                    done.fail(new IllegalStateException("the body was refused before it ended")); // answered: nothing to run
                } else if (!refused[0]) {
                    rest.setInputStream(whole[0].stream());
                    done.complete(null);
                }
            });
            // Quarkus paused it for whoever reads the body, so nothing flowed before the handlers; resumed
            // through Quarkus, which first answers "Expect: 100-continue" (curl waited a second for it).
            rest.serverRequest().resumeRequestInput();
        });
    }
}
