package dev.kiln.inference;

import dev.kiln.runtime.TensorSpec;

import java.util.List;
import java.util.Map;

/**
 * What a request is checked against: the session's inputs and outputs, and the largest size of each
 * input dimension its model.yaml allows ({@code input_limits}).
 */
public record ModelSignature(List<TensorSpec> inputs, List<TensorSpec> outputs, Map<String, List<Long>> limits) {
}
