package dev.kiln.setup;

import dev.kiln.errors.KilnError;
import dev.kiln.security.Roles;
import dev.kiln.setup.SetupRecords.EnableRequest;
import dev.kiln.setup.SetupRecords.ModelChange;
import dev.kiln.setup.SetupRecords.ModelsStatus;
import dev.kiln.setup.SetupRecords.ResidentModels;
import dev.kiln.setup.SetupRecords.UninstallRequest;
import io.smallrye.common.annotation.Blocking;
import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@PermitAll
@Path("/api/v1/setup")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Models")
public class ModelsResource {

    private final ModelsStatusService models;
    private final ResidentModelsService resident;
    private final ModelAdmin admin;

    public ModelsResource(ModelsStatusService models, ResidentModelsService resident, ModelAdmin admin) {
        this.models = models;
        this.resident = resident;
        this.admin = admin;
    }

    @GET
    @Path("/models/status")
    @Operation(summary = "Every installed model: state, loaded, can_load, lazy_load, size_gb, engine and execution provider")
    public ModelsStatus status() {
        return models.status();
    }

    @RolesAllowed(Roles.ADMIN)
    @POST
    @Path("/ai-models/enable")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Enable or disable a model",
            description = "Disabling drains in-flight requests, unloads, and makes inference answer 409; enabling loads it "
                    + "at once unless it is lazy. Persisted in model.yaml.")
    @APIResponse(responseCode = "404", description = "Unknown model")
    @APIResponse(responseCode = "409", description = "Requests still in flight after the drain timeout")
    public ModelChange enable(EnableRequest request) {
        if (request == null) {
            throw KilnError.invalid("request body is missing: send name and enabled");
        }
        return admin.setEnabled(request.name(), request.enabled());
    }

    @GET
    @Path("/ai-models/loaded")
    @Operation(summary = "Resident models: memory (measured), execution provider, loaded_at, last_used, expires_at, "
            + "in-flight requests, pinned and required; and the memory budget",
            description = "Like `ollama ps`. memory_bytes is the resident memory the session took at load and warm-up; "
                    + "expires_at is when keep_alive unloads an idle model that is not required for readiness.")
    public ResidentModels loaded() {
        return resident.resident();
    }

    @RolesAllowed(Roles.ADMIN)
    @POST
    @Path("/ai-models/rescan")
    @Blocking
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Read the repository again: new model directories appear, removed ones are unloaded and dropped",
            description = "No body. Answers with the models status after the scan. Runs by itself every "
                    + "ai.models.repository-poll-interval when that is set.")
    @APIResponse(responseCode = "200", description = "The models status after the scan")
    public ModelsStatus rescan() {
        admin.rescan();
        return models.status();
    }

    @RolesAllowed(Roles.ADMIN)
    @POST
    @Path("/ai-models/uninstall")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Unload a model after in-flight requests drain, then remove its files",
            description = "With \"version\", only that version goes and the model's others serve on.")
    @APIResponse(responseCode = "404", description = "Unknown model")
    @APIResponse(responseCode = "409", description = "Requests still in flight after the drain timeout; or the version is the "
            + "model's only one, or its routing still names it")
    public ModelChange uninstall(UninstallRequest request) {
        if (request == null) {
            throw KilnError.invalid("request body is missing: send name");
        }
        return request.version() == null ? admin.uninstall(request.name()) : admin.uninstall(request.name(), request.version());
    }
}
