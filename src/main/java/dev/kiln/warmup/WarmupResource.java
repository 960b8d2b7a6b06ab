package dev.kiln.warmup;

import dev.kiln.security.Roles;
import io.smallrye.common.annotation.Blocking;
import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@PermitAll
@Path("/api/v1/setup/ai-models/warm-up")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Warm-up")
public class WarmupResource {

    private final Warmup warmup;

    public WarmupResource(Warmup warmup) {
        this.warmup = warmup;
    }

    @RolesAllowed(Roles.ADMIN)
    @POST
    @Blocking
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Load and warm every model that should be resident",
            description = "No body. include_lazy=true also warms lazy models. Concurrent calls share one run; "
                    + "when everything is warm it answers at once without running inferences.")
    @APIResponse(responseCode = "200", description = "All targets warm (status success)")
    @APIResponse(responseCode = "500", description = "Some models failed (status error); the others stay warm")
    @APIResponse(responseCode = "507", description = "The only failures were models that must be resident but do not fit the memory budget")
    public Response warmUp(@QueryParam("include_lazy") @DefaultValue("false") boolean includeLazy) {
        WarmupReport report = warmup.warmUp(includeLazy);
        int status = report.succeeded() ? 200 : report.failedForMemoryOnly() ? 507 : 500;
        return Response.status(status).entity(report).build();
    }
}
