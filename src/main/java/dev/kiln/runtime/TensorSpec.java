package dev.kiln.runtime;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** An input or output as the model declares it; -1 marks a dynamic dimension. */
@RegisterForReflection
public record TensorSpec(String name, String datatype, long[] shape) {
}
