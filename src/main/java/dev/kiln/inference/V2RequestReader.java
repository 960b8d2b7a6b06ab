package dev.kiln.inference;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import dev.kiln.errors.ClientText;
import dev.kiln.errors.JsonErrors;
import dev.kiln.errors.KilnError;
import dev.kiln.runtime.BinaryTensorReader;
import dev.kiln.runtime.Datatype;
import dev.kiln.runtime.InvalidTensorException;
import dev.kiln.runtime.JsonTensorReader;
import dev.kiln.runtime.TensorBuffer;
import dev.kiln.runtime.TensorShapes;
import dev.kiln.runtime.TensorSpec;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a V2 inference request in one pass over the body with Jackson's streaming parser, checked
 * against the model as it goes: no tree, and tensor values go straight into the buffers ONNX
 * Runtime reads. With the binary tensor data extension the JSON is the first
 * {@code Inference-Header-Content-Length} bytes and each input with {@code binary_data_size} takes
 * its bytes from what follows, in the order of the inputs.
 */
final class V2RequestReader {

    private final ObjectMapper json;

    V2RequestReader(ObjectMapper json) {
        this.json = json;
    }

    V2Request read(byte[] body, int headerLength, ModelSignature model) {
        if (body == null || body.length == 0) {
            throw KilnError.invalid("request body is empty: send a V2 inference request with 'inputs'");
        }
        int jsonLength = headerLength < 0 ? body.length : headerLength;
        if (jsonLength > body.length) {
            throw KilnError.invalid("Inference-Header-Content-Length is " + headerLength + " but the body has " + body.length + " bytes");
        }
        try (JsonParser p = json.getFactory().createParser(body, 0, jsonLength)) {
            Envelope e = envelope(p, model);
            if (p.nextToken() != null) {
                throw KilnError.invalid("malformed JSON: more content after the request object");
            }
            return e.finish(body, jsonLength, model);
        } catch (JsonProcessingException e) {
            throw KilnError.invalid(JsonErrors.describe(e));
        } catch (IOException e) {
            throw KilnError.invalid("unreadable request body: " + e.getMessage());
        }
    }

    /** The request's fields; inputs are decoded once all of an input's fields are known. */
    private final class Envelope {
        String id;
        Map<String, Object> parameters;
        final List<PendingInput> inputs = new ArrayList<>();
        final List<V2Request.Output> outputs = new ArrayList<>();
        boolean sawInputs;

        V2Request finish(byte[] body, int jsonLength, ModelSignature model) throws IOException {
            if (!sawInputs) {
                throw KilnError.invalid("'inputs' is missing");
            }
            Map<String, TensorBuffer> byName = new LinkedHashMap<>();
            int offset = jsonLength;
            for (PendingInput in : inputs) {
                TensorBuffer t;
                if (in.decoded != null) {
                    t = in.decoded;
                } else if (in.binarySize >= 0) {
                    if (offset + in.binarySize > body.length) {
                        throw KilnError.invalid("input '" + in.name + "': binary_data_size " + in.binarySize
                                + " goes past the end of the body (" + (body.length - offset) + " bytes left)");
                    }
                    t = BinaryTensorReader.read(in.name, in.type, in.shape, body, offset, (int) in.binarySize);
                    offset += (int) in.binarySize;
                } else {
                    try (JsonParser data = in.data.asParser(json)) {
                        data.nextToken();
                        t = JsonTensorReader.read(data, in.name, in.type, in.shape);
                    }
                }
                byName.put(in.name, t);
            }
            if (offset != body.length) {
                throw KilnError.invalid("the body has " + (body.length - offset) + " byte(s) after the binary data its inputs declare");
            }
            List<TensorBuffer> ordered = SignatureChecks.ordered(model, byName);
            boolean binaryOutput = flag(parameters, "binary_data_output", "the request's parameters");
            return new V2Request(id, parameters, ordered, List.copyOf(outputs), binaryOutput);
        }
    }

    /**
     * An input as read. Its data is decoded on the spot when name, datatype and shape came before it
     * (the usual order); else its tokens are kept and decoded once they are known.
     */
    private static final class PendingInput {
        String name;
        Datatype type;
        long[] shape;
        long binarySize = -1;
        TensorBuffer decoded;
        TokenBuffer data;
    }

    private Envelope envelope(JsonParser p, ModelSignature model) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw KilnError.invalid("the request body must be a JSON object with 'inputs'");
        }
        Envelope e = new Envelope();
        for (String field = p.nextFieldName(); field != null; field = p.nextFieldName()) {
            JsonToken t = p.nextToken();
            switch (field) {
                case "id" -> e.id = t == JsonToken.VALUE_NULL ? null : text(p, t, "id");
                case "parameters" -> e.parameters = parameters(p, t, "parameters");
                case "inputs" -> {
                    e.sawInputs = true;
                    array(t, "inputs");
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        e.inputs.add(input(p, model, e.inputs));
                    }
                }
                case "outputs" -> {
                    array(t, "outputs");
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        V2Request.Output o = output(p, model);
                        SignatureChecks.once(o.name(), e.outputs.stream().map(V2Request.Output::name).toList());
                        e.outputs.add(o);
                    }
                }
                default -> throw KilnError.invalid("unknown field '" + ClientText.printable(field, 60) + "'");
            }
        }
        return e;
    }

    private PendingInput input(JsonParser p, ModelSignature model, List<PendingInput> earlier) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw KilnError.invalid("each of 'inputs' must be an object with name, shape, datatype and data");
        }
        PendingInput in = new PendingInput();
        String datatype = null;
        Map<String, Object> parameters = null;
        for (String field = p.nextFieldName(); field != null; field = p.nextFieldName()) {
            JsonToken t = p.nextToken();
            switch (field) {
                case "name" -> in.name = text(p, t, "input name");
                case "datatype" -> datatype = text(p, t, "datatype");
                case "shape" -> in.shape = shape(p, t);
                case "parameters" -> parameters = parameters(p, t, "input parameters");
                case "data" -> {
                    if (in.name != null && datatype != null && in.shape != null) {
                        checked(in, datatype, null, model, earlier, false);
                        in.decoded = JsonTensorReader.read(p, in.name, in.type, in.shape);
                    } else {
                        in.data = new TokenBuffer(p);
                        in.data.copyCurrentStructure(p);
                    }
                }
                default -> throw KilnError.invalid("unknown field '" + ClientText.printable(field, 60) + "' in an input");
            }
        }
        return checked(in, datatype, parameters, model, earlier, true);
    }

    /**
     * Checks name, datatype and shape against the model; once the input's object has ended
     * ({@code complete}), also that it has data, in JSON or as binary_data_size, and not both.
     */
    private static PendingInput checked(PendingInput in, String datatype, Map<String, Object> parameters, ModelSignature model,
                                        List<PendingInput> earlier, boolean complete) {
        TensorSpec spec = SignatureChecks.input(model, in.name, earlier.stream().map(e -> e.name).toList());
        in.type = SignatureChecks.datatype(spec, datatype);
        SignatureChecks.shape(model, spec, in.shape);
        if (!complete) {
            return in;
        }
        Object size = parameters == null ? null : parameters.get("binary_data_size");
        if (size != null) {
            if (!(size instanceof Number n) || n.longValue() < 0 || n.longValue() != n.doubleValue()) {
                throw KilnError.invalid("input '" + in.name + "': binary_data_size must be a non-negative integer");
            }
            if (in.data != null || in.decoded != null) {
                throw KilnError.invalid("input '" + in.name + "' has both 'data' and binary_data_size: send one");
            }
            in.binarySize = n.longValue();
        } else if (in.data == null && in.decoded == null) {
            throw new InvalidTensorException("input '" + in.name + "': 'data' is missing");
        }
        return in;
    }

    private V2Request.Output output(JsonParser p, ModelSignature model) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw KilnError.invalid("each of 'outputs' must be an object with a name");
        }
        String name = null;
        Map<String, Object> parameters = null;
        for (String field = p.nextFieldName(); field != null; field = p.nextFieldName()) {
            JsonToken t = p.nextToken();
            switch (field) {
                case "name" -> name = text(p, t, "output name");
                case "parameters" -> parameters = parameters(p, t, "output parameters");
                default -> throw KilnError.invalid("unknown field '" + ClientText.printable(field, 60) + "' in an output");
            }
        }
        String wanted = SignatureChecks.output(model, name);
        return new V2Request.Output(wanted, flag(parameters, "binary_data", "output '" + wanted + "'"));
    }

    /** A boolean parameter of the binary extension: absent is false; anything but true or false is refused (400). */
    private static boolean flag(Map<String, Object> parameters, String name, String where) {
        if (parameters == null || !parameters.containsKey(name)) {
            return false;
        }
        Object value = parameters.get(name);
        if (value instanceof Boolean b) {
            return b;
        }
        // A string is quoted, so "true" in quotes does not read as the boolean the message asks for.
        String given = value instanceof String text ? "the string \"" + ClientText.printable(text, 40) + "\""
                : ClientText.printable(String.valueOf(value), 40);
        throw KilnError.invalid("'" + name + "' in " + where + " must be true or false (a JSON boolean), not " + given);
    }

    private static long[] shape(JsonParser p, JsonToken t) throws IOException {
        if (t != JsonToken.START_ARRAY) {
            throw KilnError.invalid("'shape' must be an array of integers");
        }
        List<Long> dims = new ArrayList<>();
        for (JsonToken d = p.nextToken(); d != JsonToken.END_ARRAY; d = p.nextToken()) {
            if (d != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw KilnError.invalid("'shape' must be an array of integers");
            }
            dims.add(p.getLongValue());
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> parameters(JsonParser p, JsonToken t, String what) throws IOException {
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (t != JsonToken.START_OBJECT) {
            throw KilnError.invalid("'" + what + "' must be an object");
        }
        return json.readValue(p, Map.class);
    }

    private static String text(JsonParser p, JsonToken t, String what) throws IOException {
        if (t != JsonToken.VALUE_STRING) {
            throw KilnError.invalid("'" + what + "' must be a string");
        }
        return p.getText();
    }

    private static void array(JsonToken t, String what) {
        if (t != JsonToken.START_ARRAY) {
            throw KilnError.invalid("'" + what + "' must be an array");
        }
    }
}
