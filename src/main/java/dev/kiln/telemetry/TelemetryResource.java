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
    private final RecentHistory history;

    public TelemetryResource(TelemetryService telemetry, RecentHistory history) {
        this.telemetry = telemetry;
        this.history = history;
    }

    @GET
    @Path("/history")
    @Operation(summary = "The last ten minutes per model: requests/s and p50/p95 latency every 5 s, and over the last 5 minutes",
            description = "Kept in memory by the service (no Prometheus needed); what the admin page draws.")
    public RecentHistory.View history() {
        return history.view();
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
