package dev.kiln.inference;

import io.vertx.core.buffer.Buffer;

/**
 * An inference answer ready to send: JSON, or with the binary tensor data extension the JSON
 * header ({@code headerLength} bytes) followed by the binary outputs.
 */
public record V2Answer(Buffer body, int headerLength) {

    public boolean binary() {
        return headerLength >= 0;
    }
}
