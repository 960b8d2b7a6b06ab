package dev.kiln.embeddings;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code input} of an embeddings request, in the four forms OpenAI accepts: a string, an array
 * of strings, an array of token ids, an array of arrays of token ids. Each item is either text (to
 * be tokenized) or token ids (used as given).
 */
record TextInputs(List<Item> items) {

    /** One input: {@code text} or {@code tokens}, the other null. */
    record Item(String text, long[] tokens) {
    }

    static final int MAX_ITEMS = 2048;

    static TextInputs of(JsonNode input) {
        if (input == null || input.isNull() || input.isMissingNode()) {
            throw OpenAiException.invalid("input", "'input' is required: a string, an array of strings, an array of token ids"
                    + " or an array of such arrays");
        }
        if (input.isTextual()) {
            return new TextInputs(List.of(new Item(text(input, "input"), null)));
        }
        if (!input.isArray()) {
            throw OpenAiException.invalid("input", "'input' must be a string or an array, not " + input.getNodeType().name().toLowerCase());
        }
        if (input.isEmpty()) {
            throw OpenAiException.invalid("input", "'input' must not be an empty array");
        }
        if (input.size() > MAX_ITEMS) {
            throw OpenAiException.invalid("input", "'input' has " + input.size() + " items; at most " + MAX_ITEMS + " per request");
        }
        if (input.get(0).isIntegralNumber()) {
            return new TextInputs(List.of(new Item(null, tokens(input, "input"))));
        }
        // One form per request, as OpenAI's four: strings, or arrays of token ids, not both.
        boolean texts = input.get(0).isTextual();
        List<Item> items = new ArrayList<>(input.size());
        for (int i = 0; i < input.size(); i++) {
            JsonNode n = input.get(i);
            String where = "input[" + i + "]";
            if (texts && n.isTextual()) {
                items.add(new Item(text(n, where), null));
            } else if (!texts && n.isArray()) {
                items.add(new Item(null, tokens(n, where)));
            } else {
                throw OpenAiException.invalid("input", where + " must be " + (texts ? "a string, as input[0] is" : "an array of token ids, as input[0] is")
                        + " (an array of strings or an array of arrays of token ids, not both)");
            }
        }
        return new TextInputs(items);
    }

    /** Text that UTF-8 can carry: an unpaired surrogate ("\ud800") was dropped and embedded as "" (V2 refuses it too). */
    private static String text(JsonNode n, String where) {
        String s = n.textValue();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw OpenAiException.invalid("input", where + " holds an unpaired surrogate at character " + i
                        + ": it has no UTF-8 form");
            }
        }
        return s;
    }

    private static long[] tokens(JsonNode array, String where) {
        if (array.isEmpty()) {
            throw OpenAiException.invalid("input", where + " is an empty array of token ids");
        }
        long[] ids = new long[array.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode n = array.get(i);
            if (!n.isIntegralNumber() || !n.canConvertToLong() || n.longValue() < 0) {
                throw OpenAiException.invalid("input", where + "[" + i + "] must be a token id (an integer ≥ 0), not " + n);
            }
            ids[i] = n.longValue();
        }
        return ids;
    }
}
