package dev.kiln.runtime;

/** An output tensor in V2 form: {@code data} is a flat, row-major Java array. */
public record EncodedTensor(String name, String datatype, long[] shape, Object data) {
}
