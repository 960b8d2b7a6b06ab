package dev.kiln.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.kiln.catalog.ModelManifest;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Synthetic inputs in valid ranges, built from the model's own metadata: small integers for token
 * ids (1 for masks, 0 for token types), mid-range values for images. Dynamic dimensions take the
 * manifest's {@code warmup.shapes}, else 1.
 */
public final class WarmupInputs {

    private WarmupInputs() {
    }

    public static Map<String, OnnxTensor> build(OrtEnvironment env, List<TensorSpec> inputs, ModelManifest manifest) throws OrtException {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
            for (TensorSpec spec : inputs) {
                Datatype type = Datatype.parse(spec.datatype()).orElseThrow(() ->
                        new InvalidTensorException("input '" + spec.name() + "' has datatype " + spec.datatype()));
                String name = spec.name().toLowerCase(Locale.ROOT);
                feeds.put(spec.name(), TensorBuffer.fill(spec.name(), type, shape(spec, manifest), i -> value(type, name, i))
                        .toOnnx(env));
            }
            return feeds;
        } catch (OrtException | RuntimeException e) {
            feeds.values().forEach(OnnxTensor::close);
            throw e;
        }
    }

    public static long[] shape(TensorSpec spec, ModelManifest manifest) {
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

    public static Object value(Datatype type, String name, long i) {
        return switch (type) {
            case FP32, FP64, FP16 -> 0.5;
            case BOOL -> Boolean.TRUE;
            case BYTES -> "warm-up";
            default -> name.contains("mask") ? 1 : name.contains("type") ? 0 : 1 + (i % 100);
        };
    }
}
