package dev.kiln.embeddings;

import dev.kiln.errors.KilnError;

/** A refusal that names the request field at fault ({@code param} in OpenAI's error shape). */
public class OpenAiException extends KilnError {

    private final String param;
    private final String code;

    OpenAiException(Kind kind, String message, String param, String code) {
        super(kind, message);
        this.param = param;
        this.code = code;
    }

    static OpenAiException invalid(String param, String message) {
        return new OpenAiException(Kind.INVALID, message, param, null);
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }
}
