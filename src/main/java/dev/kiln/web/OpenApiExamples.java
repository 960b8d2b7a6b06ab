package dev.kiln.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.smallrye.openapi.OpenApiFilter;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.media.Content;
import org.eclipse.microprofile.openapi.models.media.MediaType;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * Puts real responses, captured from a running Kiln on the demo repository and kept in
 * {@code openapi-examples/}, into the OpenAPI document as examples of the main endpoints.
 * (A test checks each example still has the fields a live response has.) It runs when Quarkus
 * builds the document, so the service does not merge the examples at every start.
 */
@OpenApiFilter(OpenApiFilter.RunStage.BUILD)
public class OpenApiExamples implements OASFilter {

    /** "METHOD path" to the example file. */
    public static final Map<String, String> EXAMPLES = Map.of(
            "GET /api/v1/setup/dependencies/health", "dependencies-health.json",
            "POST /api/v1/setup/ai-models/warm-up", "warm-up.json",
            "GET /api/v1/setup/ai-models/telemetry", "telemetry.json",
            "GET /api/v1/setup/models/status", "models-status.json",
            "GET /api/v1/setup/status", "setup-status.json",
            "GET /api/v1/setup/ai-models/loaded", "loaded.json",
            "POST /v2/repository/index", "repository-index.json",
            "POST /v2/models/{model}/infer", "infer.json");

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        EXAMPLES.forEach((key, file) -> {
            String[] methodAndPath = key.split(" ", 2);
            PathItem item = openAPI.getPaths() == null ? null : openAPI.getPaths().getPathItem(methodAndPath[1]);
            Operation op = item == null ? null : item.getOperations().get(PathItem.HttpMethod.valueOf(methodAndPath[0]));
            if (op != null) {
                attach(op, load(file));
            }
        });
    }

    private static void attach(Operation op, Object example) {
        APIResponse ok = op.getResponses().getAPIResponse("200");
        if (ok == null) {
            ok = OASFactory.createAPIResponse().description("OK");
            op.getResponses().addAPIResponse("200", ok);
        }
        if (ok.getContent() == null) {
            ok.setContent(OASFactory.createContent());
        }
        Content content = ok.getContent();
        MediaType json = content.getMediaType("application/json");
        if (json == null) {
            json = OASFactory.createMediaType();
            content.addMediaType("application/json", json);
        }
        json.addExample("demo", OASFactory.createExample().summary("A real response on the demo repository").value(example));
    }

    static Object load(String file) {
        try (InputStream in = OpenApiExamples.class.getClassLoader().getResourceAsStream("openapi-examples/" + file)) {
            return JSON.readValue(in, Object.class);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read OpenAPI example " + file, e);
        }
    }
}
