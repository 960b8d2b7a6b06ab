package dev.kiln.runtime;

import ai.onnxruntime.TensorInfo.OnnxTensorType;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The V2 names and ONNX element types each datatype is looked up by. */
class DatatypeTest {

    @Test
    void everyDatatypeIsFoundByItsNameAndByItsOnnxType() {
        for (Datatype d : Datatype.values()) {
            assertEquals(Optional.of(d), Datatype.parse(d.name()));
        }
        assertEquals(Optional.of(Datatype.FP32), Datatype.of(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT));
        assertEquals(Optional.of(Datatype.BYTES), Datatype.of(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING));
        assertEquals(Optional.of(Datatype.FP16), Datatype.of(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16));
    }

    @Test
    void namesAreExactAndTypesWithoutADatatypeHaveNone() {
        assertEquals(Optional.empty(), Datatype.parse("fp32"), "V2 datatype names are upper case");
        assertEquals(Optional.empty(), Datatype.parse("FLOAT"));
        assertEquals(Optional.empty(), Datatype.parse(null));
        assertEquals(Optional.empty(), Datatype.of(OnnxTensorType.ONNX_TENSOR_ELEMENT_DATA_TYPE_COMPLEX64));
        assertEquals(Optional.empty(), Datatype.of(null));
    }
}
