package dev.kiln.runtime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.ValueInfo;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads a session's input/output declarations into {@link TensorSpec}s. */
final class TensorSpecs {

    private TensorSpecs() {
    }

    static List<TensorSpec> of(Map<String, NodeInfo> infos) {
        List<TensorSpec> specs = new ArrayList<>();
        for (NodeInfo node : infos.values()) {
            ValueInfo info = node.getInfo();
            if (info instanceof TensorInfo t) {
                String datatype = Datatype.of(t.onnxType).map(Enum::name).orElse(t.onnxType.name());
                specs.add(new TensorSpec(node.getName(), datatype, t.getShape()));
            } else {
                specs.add(new TensorSpec(node.getName(), info.getClass().getSimpleName(), new long[0]));
            }
        }
        return List.copyOf(specs);
    }
}
