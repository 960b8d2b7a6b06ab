package dev.kiln.runtime;

import ai.onnxruntime.TensorInfo.OnnxTensorType;

import java.util.Arrays;
import java.util.Optional;

/** KServe V2 tensor datatypes and the ONNX element types they stand for. */
public enum Datatype {
    BOOL(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL, true),
    UINT8(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8, true),
    UINT16(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT16, false),
    UINT32(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT32, false),
    UINT64(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT64, false),
    INT8(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8, true),
    INT16(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16, true),
    INT32(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32, true),
    INT64(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64, true),
    FP16(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16, true),
    BF16(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16, false),
    FP32(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, true),
    FP64(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE, true),
    BYTES(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING, true);

    private final OnnxTensorType onnxType;
    /** Whether ONNX Runtime's Java API can create an input tensor of this type. */
    private final boolean creatable;

    Datatype(OnnxTensorType onnxType, boolean creatable) {
        this.onnxType = onnxType;
        this.creatable = creatable;
    }

    public boolean creatable() {
        return creatable;
    }

    public static Optional<Datatype> of(OnnxTensorType type) {
        return Arrays.stream(values()).filter(d -> d.onnxType == type).findFirst();
    }

    public static Optional<Datatype> parse(String name) {
        return Arrays.stream(values()).filter(d -> d.name().equals(name)).findFirst();
    }
}
