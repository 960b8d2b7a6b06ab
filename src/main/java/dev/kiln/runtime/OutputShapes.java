package dev.kiln.runtime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.TensorInfo;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shapes a run's outputs will have, foreseen from the inputs' shapes before anything runs:
 * fixed dimensions are known, and a dynamic dimension is known when the model names it and an input
 * dimension of the same name ({@code batch_size}, {@code sequence_length}) has a size in the request.
 * This is what lets Kiln refuse an answer too large to hold before it spends anything on it.
 */
public final class OutputShapes {

    private record Declared(long[] shape, String[] names) {
    }

    private final Map<String, Declared> inputs;
    private final Map<String, Declared> outputs;

    private OutputShapes(Map<String, Declared> inputs, Map<String, Declared> outputs) {
        this.inputs = inputs;
        this.outputs = outputs;
    }

    static OutputShapes of(Map<String, NodeInfo> inputs, Map<String, NodeInfo> outputs) {
        return new OutputShapes(declared(inputs), declared(outputs));
    }

    /** Each output's shape for these inputs (null for an output with a dimension that cannot be foreseen), in the model's order. */
    public Map<String, long[]> forecast(List<TensorBuffer> feeds) {
        Map<String, Long> sizes = new HashMap<>();
        for (TensorBuffer t : feeds) {
            Declared d = inputs.get(t.name());
            long[] shape = t.shape();
            if (d != null && d.names().length == shape.length) {
                for (int i = 0; i < shape.length; i++) {
                    if (!d.names()[i].isEmpty()) {
                        sizes.putIfAbsent(d.names()[i], shape[i]);
                    }
                }
            }
        }
        Map<String, long[]> out = new LinkedHashMap<>();
        outputs.forEach((name, d) -> out.put(name, resolve(d, sizes)));
        return out;
    }

    private static long[] resolve(Declared d, Map<String, Long> sizes) {
        long[] shape = d.shape().clone();
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                Long known = d.names().length > i ? sizes.get(d.names()[i]) : null;
                if (known == null) {
                    return null;
                }
                shape[i] = known;
            }
        }
        return shape;
    }

    private static Map<String, Declared> declared(Map<String, NodeInfo> infos) {
        Map<String, Declared> out = new LinkedHashMap<>();
        for (NodeInfo node : infos.values()) {
            if (node.getInfo() instanceof TensorInfo t) {
                String[] names = t.getDimensionNames();
                out.put(node.getName(), new Declared(t.getShape(), names == null ? new String[0] : names));
            }
        }
        return out;
    }
}
