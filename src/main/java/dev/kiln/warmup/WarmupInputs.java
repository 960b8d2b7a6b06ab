package dev.kiln.warmup;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.kiln.catalog.ModelManifest;
import dev.kiln.runtime.TensorCodec;
import dev.kiln.runtime.TensorSpec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Synthetic inputs in valid ranges, built from the model's own metadata: small integers for token
 * ids (1 for masks, 0 for token types), mid-range values for images. Dynamic dimensions take the
 * manifest's {@code warmup.shapes}, else 1. Tensors go through {@link TensorCodec} like requests do.
 */
final class WarmupInputs {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private WarmupInputs() {
    }

    static Map<String, OnnxTensor> build(OrtEnvironment env, List<TensorSpec> inputs, ModelManifest manifest) throws OrtException {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
            for (TensorSpec spec : inputs) {
                long[] shape = shape(spec, manifest);
                feeds.put(spec.name(), TensorCodec.decode(env, spec.name(), spec.datatype(), shape, values(spec, shape), spec));
            }
            return feeds;
        } catch (OrtException | RuntimeException e) {
            feeds.values().forEach(OnnxTensor::close);
            throw e;
        }
    }

    static long[] shape(TensorSpec spec, ModelManifest manifest) {
        List<Long> wanted = manifest.warmup() == null || manifest.warmup().shapes() == null
                ? null : manifest.warmup().shapes().get(spec.name());
        long[] shape = spec.shape().clone();
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                shape[i] = wanted != null && wanted.size() == shape.length && wanted.get(i) > 0 ? wanted.get(i) : 1;
            }
        }
        return shape;
    }

    private static JsonNode values(TensorSpec spec, long[] shape) {
        long count = 1;
        for (long d : shape) {
            count *= d;
        }
        String name = spec.name().toLowerCase(Locale.ROOT);
        ArrayNode data = JSON.arrayNode((int) count);
        for (long i = 0; i < count; i++) {
            data.add(value(spec.datatype(), name, i));
        }
        return data;
    }

    private static JsonNode value(String datatype, String name, long i) {
        return switch (datatype) {
            case "FP32", "FP64", "FP16" -> JSON.numberNode(0.5);
            case "BOOL" -> JSON.booleanNode(true);
            case "BYTES" -> JSON.textNode("warm-up");
            default -> JSON.numberNode(name.contains("mask") ? 1 : name.contains("type") ? 0 : 1 + (i % 100));
        };
    }
}
