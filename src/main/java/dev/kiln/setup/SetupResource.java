package dev.kiln.setup;

import dev.kiln.config.SettingsUpdate;
import dev.kiln.errors.KilnError;
import dev.kiln.security.Roles;
import dev.kiln.setup.SetupRecords.EffectiveConfig;
import dev.kiln.setup.SetupRecords.EngineInstallRequest;
import dev.kiln.setup.SetupRecords.EngineInstalled;
import dev.kiln.setup.SetupRecords.Engines;
import dev.kiln.setup.SetupRecords.Status;
import dev.kiln.setup.SetupRecords.Template;
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

/** The seed's existing setup endpoints. */
@PermitAll
@Path("/api/v1/setup")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Setup")
public class SetupResource {

    private final StatusService status;
    private final SettingsService settings;
    private final TemplateService template;
    private final EngineService engines;

    public SetupResource(StatusService status, SettingsService settings, TemplateService template, EngineService engines) {
        this.status = status;
        this.settings = settings;
        this.template = template;
        this.engines = engines;
    }

    @GET
    @Path("/status")
    @Operation(summary = "Version, uptime, repository, lazy-load setting, warm-up state, model counts, execution provider")
    public Status status() {
        return status.status();
    }

    @RolesAllowed(Roles.ADMIN)
    @POST
    @Path("/config")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Change lazy_load, warmup_iterations and telemetry_idle_after without a restart",
            description = "Validated (400 names every bad field), applied at once and persisted in the repository.")
    @APIResponse(responseCode = "200", description = "The effective configuration")
    @APIResponse(responseCode = "400", description = "A field is unknown, of the wrong type or out of range")
    public EffectiveConfig config(SettingsUpdate update) {
        return settings.apply(update);
    }

    @GET
    @Path("/config")
    @Operation(summary = "The effective run-time configuration")
    public EffectiveConfig currentConfig() {
        return settings.effective();
    }

    @GET
    @Path("/template")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Every setting: key, environment variable, type, default, current value, description",
            description = "With Accept: text/plain, a ready-to-edit .env file.")
    public Template template() {
        return template.template();
    }

    @GET
    @Path("/template")
    @Produces(MediaType.TEXT_PLAIN)
    @Operation(summary = "The configuration template as a ready-to-edit .env file")
    public String templateAsDotEnv() {
        return template.dotEnv();
    }

    @GET
    @Path("/inference-engines/status")
    @Operation(summary = "ONNX Runtime CPU, CUDA and TensorRT: status, version, devices and reasons")
    public Engines engines() {
        return engines.engines();
    }

    @RolesAllowed(Roles.ADMIN)
    @POST
    @Path("/inference-engines/install")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Verify an execution provider on a built-in test model and prefer it for new loads",
            description = "Body {\"engine\": \"onnxruntime-cuda\"} (or onnxruntime-tensorrt, onnxruntime-cpu).")
    @APIResponse(responseCode = "200", description = "The provider started a real session")
    @APIResponse(responseCode = "400", description = "Unknown engine")
    @APIResponse(responseCode = "424", description = "The provider cannot run here; the error names what is missing")
    public EngineInstalled installEngine(EngineInstallRequest request) {
        if (request == null || request.engine() == null) {
            throw KilnError.invalid("field 'engine' is required: onnxruntime-cpu, onnxruntime-cuda or onnxruntime-tensorrt");
        }
        return engines.install(request.engine());
    }
}
