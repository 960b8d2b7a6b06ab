package dev.kiln.telemetry;

import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@PermitAll
@Path("/api/v1/setup/ai-models/telemetry")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Telemetry")
public class TelemetryResource {

    private final TelemetryService telemetry;

    public TelemetryResource(TelemetryService telemetry) {
        this.telemetry = telemetry;
    }

    @GET
    @Operation(summary = "Usage per model, a summary, and recommendations with their evidence",
            description = "usage_count counts inference requests served (warm-up is not use); the same counters are at /q/metrics.")
    @APIResponse(responseCode = "200", description = "Telemetry retrieved")
    @APIResponse(responseCode = "500", description = "Telemetry could not be built")
    public TelemetryView telemetry() {
        return telemetry.view();
    }
}
