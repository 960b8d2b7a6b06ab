package dev.kiln.web;

import io.netty.buffer.ByteBuf;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.core.ResteasyReactiveRequestContext;
import org.jboss.resteasy.reactive.server.spi.ResteasyReactiveContainerRequestContext;

import java.io.ByteArrayInputStream;

/**
 * An inference body read whole on the event loop, with no thread waiting for it, before its method
 * runs. Quarkus otherwise hands a body over 10 KB to a worker as a stream over the socket: each body
 * that stopped coming held a worker for the 60 s read timeout (32 bodies that sent 12 KB of 30 KB and
 * stopped took a 32-thread pool, and nothing else with a body was answered). A body that stops is
 * refused by the inflight budget instead; one of undeclared length that grows past the largest
 * accepted is refused here, 413, as the stream used to refuse it.
 */
final class WholeBody {

    /** Room made before a byte has come: a head alone is not trusted with its declared length. */
    private static final int FIRST_CAPACITY = 64 * 1024;
    /** Once this part of its declared length has come, a body gets room for all of it, without more copies. */
    private static final int PROVEN_SHARE = 16;

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
        long declared = length == null ? max : Long.parseLong(length.trim());
        Buffer[] whole = {Buffer.buffer((int) Math.min(declared, FIRST_CAPACITY))};
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
                whole[0] = roomFor(whole[0], chunk.length(), declared, length != null);
                whole[0].appendBuffer(chunk);
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
                    rest.setInputStream(stream(whole[0]));
                    done.complete(null);
                }
            });
            // Quarkus paused it for whoever reads the body, so nothing flowed before the handlers; resumed
            // through Quarkus, which first answers "Expect: 100-continue" (curl waited a second for it).
            rest.serverRequest().resumeRequestInput();
        });
    }

    /**
     * A buffer with room for {@code more} bytes: doubled while the body is unproven, then all of its
     * declared length at once. Made whole at the head, heads that never sent a byte made the heap
     * allocate 8 MB each, 50 a second, and it spent its time in full collections (11 of 15 calls
     * answered in 30 s, /q/health silent for two minutes after).
     */
    private static Buffer roomFor(Buffer gathered, int more, long declared, boolean isDeclared) {
        ByteBuf bytes = gathered.getByteBuf();
        long needed = (long) gathered.length() + more;
        if (needed <= bytes.capacity()) {
            return gathered;
        }
        long room = isDeclared && needed * PROVEN_SHARE >= declared ? declared : Math.min(declared, Math.max(needed, 2L * bytes.capacity()));
        return Buffer.buffer((int) room).appendBuffer(gathered);
    }

    /** The bytes gathered, without copying them once more. */
    private static ByteArrayInputStream stream(Buffer whole) {
        ByteBuf bytes = whole.getByteBuf();
        return bytes.hasArray()
                ? new ByteArrayInputStream(bytes.array(), bytes.arrayOffset() + bytes.readerIndex(), bytes.readableBytes())
                : new ByteArrayInputStream(whole.getBytes());
    }
}
