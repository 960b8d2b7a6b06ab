package dev.kiln.setup;

import dev.kiln.setup.SetupViews.ModelsStatus;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/setup/models")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Models")
public class ModelsResource {

    private final SetupService setup;

    public ModelsResource(SetupService setup) {
        this.setup = setup;
    }

    @GET
    @Path("/status")
    @Operation(summary = "Every installed model: state, loaded, can_load, lazy_load, size_gb, engine and execution provider")
    public ModelsStatus status() {
        return setup.modelsStatus();
    }
}
