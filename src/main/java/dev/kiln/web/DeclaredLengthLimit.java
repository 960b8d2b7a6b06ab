package dev.kiln.web;

import dev.kiln.config.AiModelsConfig;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * The largest body Kiln takes on any route is an inference body. A declared length beyond it is
 * answered here, before routing and with a JSON error, instead of by Quarkus's own bare 413 (which
 * still cuts off bodies of undeclared length at the same size). Per-method limits are {@link BodyLimits}'.
 */
@ApplicationScoped
public class DeclaredLengthLimit {

    /** Just before Quarkus's own limit handler (order -2). */
    private static final int ORDER = -3;

    void install(@Observes Router router, AiModelsConfig config) {
        long max = config.inference().maxRequestBytes();
        router.route().order(ORDER).handler(ctx -> {
            String length = ctx.request().getHeader("Content-Length");
            long declared;
            try {
                declared = length == null ? -1 : Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                declared = -1;
            }
            if (declared > max) {
                ctx.response().setStatusCode(413).putHeader("Content-Type", "application/json").putHeader("Connection", "close")
                        .end("{\"error\":\"request body is " + declared + " bytes, larger than the largest Kiln accepts ("
                                + max + " bytes, ai.models.inference.max-request-bytes)\"}");
                return;
            }
            ctx.next();
        });
    }
}
