package dev.kiln.pipelines;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.embeddings.OpenAiErrors;
import dev.kiln.errors.KilnError;
import dev.kiln.inference.InflightBytes;
import dev.kiln.pipelines.OcrRecords.OcrAnswer;
import dev.kiln.pipelines.OcrRecords.OcrRequest;
import dev.kiln.security.Roles;
import dev.kiln.telemetry.UsageTracker;
import io.smallrye.common.annotation.Blocking;
import io.vertx.ext.web.RoutingContext;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.CompletionStage;

/**
 * {@code POST /v1/ocr}: an image in, its lines of text out, through the {@code ppocr} pipeline (or
 * another that reads images into lines). The body is the PNG or JPEG file itself, or JSON with the
 * file in base64. Errors are in OpenAI's shape, as everywhere under /v1.
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
@OpenAiErrors
@Tag(name = "OCR", description = "An image in, its text out: the ppocr pipeline (detection, orientation, recognition)")
public class OcrResource {

    static final String DEFAULT_PIPELINE = "ppocr";
    private static final String EXAMPLE_ANSWER = "{\"lines\": [{\"text\": \"Order No. 20931-7781\", \"score\": 0.9968, \"box\": [[21.0, 14.0], "
            + "[366.0, 14.0], [366.0, 52.0], [21.0, 52.0]]}, {\"text\": \"Total: 45.80 USD\", \"score\": 0.9981, \"box\": [[22.0, 66.0], "
            + "[331.0, 66.0], [331.0, 107.0], [22.0, 107.0]]}], \"model\": \"ppocr\", \"elapsed_ms\": 212.37}";

    private final PipelineRunner runner;
    private final UsageTracker usage;
    private final ObjectMapper json;
    private final InflightBytes inflight;

    public OcrResource(PipelineRunner runner, UsageTracker usage, ObjectMapper json, InflightBytes inflight) {
        this.runner = runner;
        this.usage = usage;
        this.json = json;
        this.inflight = inflight;
    }

    @RolesAllowed(Roles.INFERENCE)
    @POST
    @Path("/ocr")
    @Consumes({"image/png", "image/jpeg", MediaType.APPLICATION_JSON})
    @Blocking
    @Operation(summary = "Read the text of an image (PNG or JPEG): its lines in reading order, each with its box and confidence",
            description = "The body is the image file (Content-Type image/png or image/jpeg), or JSON {\"image\": \"<base64>\", "
                    + "\"model\": \"ppocr\"}. Runs the ppocr pipeline (or the one named): detection, boxes, crops, orientation, "
                    + "recognition. Images larger than ai.models.ocr.max-pixels, and files that are not a whole PNG or JPEG, get 400 "
                    + "before any model runs.")
    @RequestBody(content = {
            @Content(mediaType = "image/png", schema = @Schema(type = SchemaType.STRING, format = "binary")),
            @Content(mediaType = "image/jpeg", schema = @Schema(type = SchemaType.STRING, format = "binary")),
            @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = OcrRequest.class),
                    examples = @ExampleObject(name = "base64", value = "{\"image\": \"iVBORw0KGgoAAAANSUhEUgAA...\", \"model\": \"ppocr\"}"))})
    @APIResponse(responseCode = "200", description = "The lines read, in reading order", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = OcrAnswer.class),
            examples = @ExampleObject(name = "receipt", value = EXAMPLE_ANSWER)))
    @APIResponse(responseCode = "400", description = "Not a PNG or JPEG, truncated, no pixels, more than ai.models.ocr.max-pixels, bad base64")
    @APIResponse(responseCode = "404", description = "No such pipeline")
    @APIResponse(responseCode = "409", description = "The pipeline or one of its models is disabled")
    @APIResponse(responseCode = "413", description = "Body larger than ai.models.inference.max-request-bytes")
    @APIResponse(responseCode = "503", description = "Too many requests in progress, or a model unavailable; see Retry-After")
    @APIResponse(responseCode = "507", description = "Its models do not fit the memory budget together now")
    public CompletionStage<OcrAnswer> ocr(byte[] body, @HeaderParam("Content-Type") String type, @Context RoutingContext context) {
        long arrived = System.nanoTime();
        InflightBytes.Reservation held = context.get(InflightBytes.BODY);
        boolean isJson = type != null && type.toLowerCase(Locale.ROOT).startsWith(MediaType.APPLICATION_JSON);
        if (!isJson) {
            requireRunnable(DEFAULT_PIPELINE);
            return run(DEFAULT_PIPELINE, body, held, context, arrived);
        }
        // Parsing holds the base64 text as characters (two bytes each), then as a string, then the
        // decoded file: about four times the body beside it, counted in the budget while it lasts
        // (eight 20 MB bodies at once took a 512 MiB heap when only the body was).
        try (InflightBytes.Reservation parsing = reserveForParsing(4L * body.length)) {
            OcrRequest request = request(body);
            String pipeline = request.model() == null ? DEFAULT_PIPELINE : request.model();
            requireRunnable(pipeline);
            return run(pipeline, base64(request.image()), held, context, arrived);
        }
    }

    private CompletionStage<OcrAnswer> run(String pipeline, byte[] file, InflightBytes.Reservation held, RoutingContext context,
                                           long arrived) {
        usage.recordTransport(pipeline, "rest");
        return runner.infer(pipeline, new OcrCall(pipeline, file, held, () -> context.response().closed(), arrived));
    }

    private void requireRunnable(String pipeline) {
        if (!runner.runs(pipeline)) {
            throw runner.notAPipeline(pipeline);
        }
    }

    private InflightBytes.Reservation reserveForParsing(long bytes) {
        return inflight.tryReserve(bytes).orElseThrow(() -> KilnError.unavailable("inference holds " + inflight.held()
                + " bytes of requests and answers; parsing this JSON body takes about " + bytes + " bytes beside them"
                + " (ai.models.inference.max-queued-bytes " + inflight.limit() + "); retry shortly, or send the image file"
                + " itself as the body (Content-Type image/png or image/jpeg)", 1));
    }

    private OcrRequest request(byte[] body) {
        try {
            OcrRequest r = json.readValue(body, OcrRequest.class);
            if (r == null || r.image() == null) {
                throw KilnError.invalid("field 'image' is required: the image file, base64");
            }
            return r;
        } catch (JsonProcessingException e) {
            throw KilnError.invalid("the body is not the JSON /v1/ocr takes ({\"image\": \"<base64>\", \"model\": \"ppocr\"}): "
                    + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw KilnError.invalid("the body cannot be read");
        }
    }

    private static byte[] base64(String image) {
        String data = image.startsWith("data:") && image.contains(",") ? image.substring(image.indexOf(',') + 1) : image;
        byte[] file;
        try {
            file = Base64.getMimeDecoder().decode(data);
        } catch (IllegalArgumentException e) {
            throw KilnError.invalid("field 'image' is not base64: " + e.getMessage());
        }
        // The MIME decoder skips what is not base64, so "!!!" decodes to nothing: that is not an empty image.
        if (file.length == 0 && !data.isBlank()) {
            throw KilnError.invalid("field 'image' is not base64: it holds no base64 characters");
        }
        return file;
    }
}
