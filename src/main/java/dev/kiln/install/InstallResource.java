package dev.kiln.install;

import dev.kiln.errors.KilnError;
import dev.kiln.security.Roles;
import io.smallrye.common.annotation.Blocking;
import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.net.URI;
import java.util.List;

@PermitAll
@Path("/api/v1/setup/ai-models/install")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Install")
public class InstallResource {

    private final Installer installer;

    public InstallResource(Installer installer) {
        this.installer = installer;
    }

    @RolesAllowed(Roles.ADMIN)
    @POST
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Install a model from https, an OCI registry (oci://), or allowed http/file, with sha256 verification",
            description = "Answers 202 with a job and its Location; ?wait=true answers when the job ends. "
                    + "A tar.gz or zip holding model.onnx is unpacked; anything else is taken as the model. "
                    + "oci://registry/repo:tag (or @sha256:digest) takes a modelcar image (model under /models) "
                    + "or an artifact whose layers are the model directory as a tar or single titled files.")
    @APIResponse(responseCode = "202", description = "Job started; poll its Location")
    @APIResponse(responseCode = "200", description = "With wait=true: installed")
    @APIResponse(responseCode = "400", description = "Bad field, refused URL or address")
    @APIResponse(responseCode = "409", description = "Already installed (send replace) or an install of that name is running; "
            + "with wait=true also when another install, here or in another replica, took the name first (the failed job says so)")
    @APIResponse(responseCode = "422", description = "With wait=true: the job failed; error says which step")
    public Response install(InstallRequest request, @QueryParam("wait") @DefaultValue("false") boolean wait) {
        InstallJob.View job = installer.submit(request);
        URI location = URI.create("/api/v1/setup/ai-models/install/jobs/" + job.id());
        if (!wait) {
            return Response.accepted(job).location(location).build();
        }
        InstallJob.View done = installer.await(job.id());
        int status = "done".equals(done.status()) ? 200
                : "failed".equals(done.status()) ? (installer.conflicted(job.id()) ? 409 : 422) : 202;
        return Response.status(status).entity(done).location(location).build();
    }

    @GET
    @Path("/jobs/{id}")
    @Operation(summary = "An install job: status, bytes_done, bytes_total, sha256, error")
    @APIResponse(responseCode = "404", description = "Unknown job")
    public InstallJob.View job(@PathParam("id") String id) {
        return installer.job(id).orElseThrow(() -> KilnError.notFound("unknown install job"));
    }

    @GET
    @Path("/jobs")
    @Operation(summary = "Recent install jobs, oldest first")
    public List<InstallJob.View> jobs() {
        return installer.jobs();
    }
}
