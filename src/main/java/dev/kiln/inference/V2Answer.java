package dev.kiln.inference;

/**
 * An inference answer ready to send: JSON, or with the binary tensor data extension the JSON
 * header ({@code headerLength} bytes) followed by the binary outputs.
 */
public record V2Answer(byte[] body, int headerLength) {

    public boolean binary() {
        return headerLength >= 0;
    }
}
