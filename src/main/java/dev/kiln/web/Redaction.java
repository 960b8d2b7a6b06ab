package dev.kiln.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.kiln.catalog.ModelRepository;
import dev.kiln.errors.Redactor;
import dev.kiln.security.AdminToken;
import dev.kiln.security.MethodRoles;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ResourceInfo;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

import java.util.Iterator;
import java.util.Map;

/**
 * What a caller without the admin token sees: every answer (errors included) with file system
 * paths, exception class names and stack fragments taken out. Admins see everything. The one body
 * left alone is a successful inference answer: it carries tensors, never paths, and is the hot path.
 */
public class Redaction {

    private final AdminToken token;
    private final ObjectMapper mapper;
    private final Redactor redactor;
    private final MethodRoles roles;

    public Redaction(AdminToken token, MethodRoles roles, ObjectMapper mapper, ModelRepository repository) {
        this.token = token;
        this.roles = roles;
        this.mapper = mapper;
        this.redactor = new Redactor(repository.root().toString());
    }

    @ServerResponseFilter
    public void redact(ContainerResponseContext response, HttpServerRequest request, ResourceInfo resource) {
        Object entity = response.getEntity();
        if (entity == null || token.admits(request.getHeader("Authorization"))) {
            return;
        }
        if (response.getStatus() < 400 && roles.runsModels(resource)) {
            return;
        }
        if (entity instanceof String text) {
            response.setEntity(redactor.redact(text));
        } else if (entity instanceof ErrorBody body) {
            // Stays an ErrorBody, so OpenAiErrorShape still recognises it on /v1 whichever filter runs first.
            response.setEntity(new ErrorBody(redactor.redact(body.error())));
        } else if (!(entity instanceof byte[]) && !(entity instanceof java.io.InputStream)) {
            response.setEntity(walk(mapper.valueToTree(entity)));
        }
    }

    private JsonNode walk(JsonNode node) {
        if (node instanceof ObjectNode object) {
            for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                e.setValue(walk(e.getValue()));
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                array.set(i, walk(array.get(i)));
            }
        } else if (node instanceof TextNode text) {
            String redacted = redactor.redact(text.textValue());
            return redacted.equals(text.textValue()) ? node : TextNode.valueOf(redacted);
        }
        return node;
    }
}
