package dev.kiln.health;

import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.logging.Logger;

@PermitAll
@Path("/api/v1/setup/dependencies/health")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Health")
public class DependencyHealthResource {

    private static final Logger LOG = Logger.getLogger(DependencyHealthResource.class);
    private final DependencyHealth health;

    public DependencyHealthResource(DependencyHealth health) {
        this.health = health;
    }

    @GET
    @Operation(summary = "Dependencies, inference engines and models, with issues and warnings",
            description = "overall_status is healthy, degraded (warnings only) or unhealthy (any issue). Probes are cached.")
    @APIResponse(responseCode = "200", description = "The check ran; read overall_status")
    @APIResponse(responseCode = "500", description = "The check itself failed")
    public Response check() {
        try {
            return Response.ok(health.check()).build();
        } catch (RuntimeException e) {
            LOG.error("dependency health check failed", e);
            return Response.serverError().entity(java.util.Map.of("overall_status", "unhealthy",
                    "error", "health check failed (details are in the server log)")).build();
        }
    }
}
