package dev.kiln.runtime;

/** An input or output as the model declares it; -1 marks a dynamic dimension. */
public record TensorSpec(String name, String datatype, long[] shape) {
}
