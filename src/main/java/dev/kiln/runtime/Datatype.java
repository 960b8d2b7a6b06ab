package dev.kiln.runtime;

import ai.onnxruntime.TensorInfo.OnnxTensorType;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** KServe V2 tensor datatypes and the ONNX element types they stand for. */
public enum Datatype {
    BOOL(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL, true, 1),
    UINT8(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8, true, 1),
    UINT16(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16, false, 2),
    UINT32(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32, false, 4),
    UINT64(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64, false, 8),
    INT8(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8, true, 1),
    INT16(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16, true, 2),
    INT32(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32, true, 4),
    INT64(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64, true, 8),
    FP16(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16, true, 2),
    BF16(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16, false, 2),
    FP32(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, true, 4),
    FP64(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE, true, 8),
    BYTES(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING, true, -1);

    private final OnnxTensorType onnxType;
    /** Whether ONNX Runtime's Java API can create an input tensor of this type. */
    private final boolean creatable;
    private final int bytes;

    Datatype(OnnxTensorType onnxType, boolean creatable, int bytes) {
        this.onnxType = onnxType;
        this.creatable = creatable;
        this.bytes = bytes;
    }

    /** Bytes of one element in the binary tensor format; -1 for BYTES (length-prefixed, variable). */
    public int bytesPerElement() {
        return bytes;
    }

    public boolean creatable() {
        return creatable;
    }

    public static Optional<Datatype> of(OnnxTensorType type) {
        return Optional.ofNullable(type == null ? null : BY_ONNX_TYPE.get(type));
    }

    public static Optional<Datatype> parse(String name) {
        return Optional.ofNullable(name == null ? null : BY_NAME.get(name));
    }

    // Looked up for every output of every call: a stream over values() cloned the array each time.
    private static final Map<String, Datatype> BY_NAME = Arrays.stream(values())
            .collect(Collectors.toUnmodifiableMap(Datatype::name, d -> d));
    private static final Map<OnnxTensorType, Datatype> BY_ONNX_TYPE = Arrays.stream(values())
            .collect(Collectors.toMap(d -> d.onnxType, d -> d, (a, b) -> a, () -> new EnumMap<>(OnnxTensorType.class)));
}
