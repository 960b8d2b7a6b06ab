package dev.kiln.embeddings;

import dev.kiln.embeddings.OpenAiRecords.EmbeddingList;
import dev.kiln.embeddings.OpenAiRecords.ModelList;
import dev.kiln.security.Roles;
import io.smallrye.common.annotation.Blocking;
import jakarta.annotation.security.PermitAll;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import io.vertx.ext.web.RoutingContext;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.concurrent.CompletionStage;

/** OpenAI-compatible embeddings: what LangChain, LlamaIndex, Spring AI and the OpenAI SDKs call. */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
@OpenAiErrors
@Tag(name = "OpenAI-compatible embeddings", description = "Text in, vectors out; errors in OpenAI's shape")
public class EmbeddingsResource {

    private final EmbeddingService embeddings;

    public EmbeddingsResource(EmbeddingService embeddings) {
        this.embeddings = embeddings;
    }

    @RolesAllowed(Roles.INFERENCE)
    @POST
    @Path("/embeddings")
    @Consumes(MediaType.APPLICATION_JSON)
    @Blocking
    @Operation(summary = "Embed texts or token ids (OpenAI's POST /v1/embeddings); a lazy model loads on first use")
    @APIResponse(responseCode = "200", description = "{\"object\": \"list\", \"data\": [{\"object\": \"embedding\", \"index\", \"embedding\"}], \"model\", \"usage\"}")
    @APIResponse(responseCode = "400", description = "Bad input, a model that does not embed, dimensions the model cannot make")
    @APIResponse(responseCode = "404", description = "Unknown model (code model_not_found)")
    @APIResponse(responseCode = "503", description = "Queue full or model unavailable; see Retry-After")
    public CompletionStage<EmbeddingList> embeddings(EmbeddingRequest request, @Context RoutingContext context) {
        return embeddings.embed(request, () -> context.response().closed());
    }

    @PermitAll
    @GET
    @Path("/models")
    @Operation(summary = "The models that embed text (OpenAI's GET /v1/models)")
    public ModelList models() {
        return embeddings.models();
    }
}
