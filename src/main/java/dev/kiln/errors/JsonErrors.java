package dev.kiln.errors;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;

import java.util.stream.Collectors;

/** Turns Jackson's failures into one line a client can act on, naming the field at fault. */
public final class JsonErrors {

    private JsonErrors() {
    }

    public static String describe(JsonProcessingException e) {
        if (e instanceof UnrecognizedPropertyException u) {
            return "unknown field '" + u.getPropertyName() + "'";
        }
        StreamConstraintsException c = e instanceof StreamConstraintsException own ? own
                : e.getCause() instanceof StreamConstraintsException wrapped ? wrapped : null;
        if (c != null) {
            // Well-formed, but past one of the reader's bounds (a string of more than 20,000,000 characters,
            // nesting deeper than 1,000): say which, without the Java method Jackson names.
            return "the JSON is too large to read: " + c.getOriginalMessage().replaceAll(",? ?from `[^`]*`", "");
        }
        if (e instanceof JsonParseException p) {
            return "malformed JSON: " + p.getOriginalMessage();
        }
        if (e instanceof InvalidFormatException || e instanceof MismatchedInputException) {
            String field = path((JsonMappingException) e);
            // Jackson's own words here name Java types; the caller needs only what to send instead.
            return field.isEmpty()
                    ? "the request body must be a JSON object with the fields this endpoint documents"
                    : "field '" + field + "' has the wrong type";
        }
        return "malformed JSON";
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."));
    }
}
