package dev.kiln.setup;

import dev.kiln.catalog.ModelName;
import dev.kiln.catalog.Routing;
import dev.kiln.catalog.VersionNumber;
import dev.kiln.catalog.VersionPolicy;
import dev.kiln.errors.ClientText;
import dev.kiln.errors.KilnError;
import dev.kiln.registry.ModelNotFoundException;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelVersions;
import dev.kiln.routing.RoutingAdmin;
import dev.kiln.security.Roles;
import dev.kiln.setup.SetupRecords.AliasRequest;
import dev.kiln.setup.SetupRecords.PromoteRequest;
import dev.kiln.setup.SetupRecords.VersionsView;
import io.smallrye.common.annotation.Blocking;
import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * A model's versions: which are served (version policy), what names them (aliases), where
 * unversioned calls go (weights) and who gets their copies (shadow). Every change is written to the
 * model's model.yaml atomically under its locks and answered with the versions as they are after it.
 */
@PermitAll
@Path("/api/v1/setup")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Model versions")
public class ModelVersionsResource {

    private final RoutingAdmin admin;
    private final VersionRows rows;
    private final ModelRegistry registry;

    public ModelVersionsResource(RoutingAdmin admin, VersionRows rows, ModelRegistry registry) {
        this.admin = admin;
        this.rows = rows;
        this.registry = registry;
    }

    @GET
    @Path("/models/{name}/versions")
    @Operation(summary = "The model's versions: policy, aliases, routing, and each version's state and share of traffic")
    @APIResponse(responseCode = "404", description = "Unknown model")
    public VersionsView versions(@PathParam("name") String name) {
        return rows.view(registry.model(ModelName.require(name)).orElseThrow(() -> new ModelNotFoundException(name)));
    }

    @RolesAllowed(Roles.ADMIN)
    @PUT
    @Path("/models/{name}/routing")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Set the routing: aliases, weights of unversioned calls per target (alias or version), shadow and shadow_percent",
            description = "Replaces what model.yaml has under routing. Aliases must name versions on disk; weights and the shadow must "
                    + "reach versions the policy serves. No session is opened or closed: only where calls go changes.")
    @APIResponse(responseCode = "400", description = "A name or number out of its range")
    @APIResponse(responseCode = "409", description = "A target the model does not have or does not serve")
    public VersionsView routing(@PathParam("name") String name, Routing routing) {
        return view(admin.routing(name, routing));
    }

    @RolesAllowed(Roles.ADMIN)
    @PUT
    @Path("/models/{name}/version-policy")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Set which versions are served: \"all\", {\"latest\": N} or {\"specific\": [1, 3]}",
            description = "Versions that come in are loaded (when they must be resident); versions that leave drain their "
                    + "requests first, then unload.")
    @APIResponse(responseCode = "409", description = "The policy serves none of the model's versions, or a version "
            + "that leaves still has requests after the drain timeout")
    public VersionsView policy(@PathParam("name") String name, VersionPolicy policy) {
        return view(admin.policy(name, policy));
    }

    @RolesAllowed(Roles.ADMIN)
    @PUT
    @Path("/models/{name}/aliases/{alias}")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Point an alias (stable, canary, any name) at a version: {\"version\": 2}")
    public VersionsView alias(@PathParam("name") String name, @PathParam("alias") String alias, AliasRequest request) {
        if (request == null || request.version() == null) {
            throw KilnError.invalid("send the version the alias names: {\"version\": 2}");
        }
        return view(admin.alias(name, alias, request.version()));
    }

    @RolesAllowed(Roles.ADMIN)
    @DELETE
    @Path("/models/{name}/aliases/{alias}")
    @Blocking
    @Operation(summary = "Remove an alias (refused while the routing's weights or shadow use it)")
    public VersionsView deleteAlias(@PathParam("name") String name, @PathParam("alias") String alias) {
        return view(admin.alias(name, alias, null));
    }

    @RolesAllowed(Roles.ADMIN)
    @POST
    @Path("/models/{name}/promote")
    @Blocking
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Promote: move an alias (stable) to the version another target names now (canary)",
            description = "Body optional: {\"version\": \"canary\" or 2, \"alias\": \"stable\"}. The alias's former version is "
                    + "remembered, so POST .../rollback puts it back.")
    public VersionsView promote(@PathParam("name") String name, PromoteRequest request) {
        String target = request == null || request.version() == null || request.version().isNull() ? null : target(request);
        return view(admin.promote(name, target, request == null ? null : request.alias()));
    }

    @RolesAllowed(Roles.ADMIN)
    @POST
    @Path("/models/{name}/rollback")
    @Blocking
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Roll back in one call: every unversioned call to stable, and stable back where the last promote moved it from")
    @APIResponse(responseCode = "409", description = "The model has no stable alias")
    public VersionsView rollback(@PathParam("name") String name) {
        return view(admin.rollback(name));
    }

    @RolesAllowed(Roles.ADMIN)
    @DELETE
    @Path("/models/{name}/versions/{version}")
    @Blocking
    @Operation(summary = "Uninstall one version: drain its requests, unload it, remove its files; the other versions serve on")
    @APIResponse(responseCode = "409", description = "The model's only version, or one its routing still names")
    public VersionsView uninstall(@PathParam("name") String name, @PathParam("version") String version) {
        int number = VersionNumber.parse(version).orElseThrow(() -> KilnError.invalid("'" + ClientText.printable(version, 20)
                + "' is not a version number"));
        return view(admin.uninstall(name, number));
    }

    private static String target(PromoteRequest request) {
        if (request.version().isTextual()) {
            return request.version().asText();
        }
        if (request.version().isIntegralNumber() && request.version().canConvertToInt()) {
            return Integer.toString(request.version().asInt());
        }
        throw KilnError.invalid("field 'version' must be a version number or an alias");
    }

    private VersionsView view(ModelVersions m) {
        return rows.view(m);
    }
}
