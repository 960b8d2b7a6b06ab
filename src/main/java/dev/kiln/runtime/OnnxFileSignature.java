package dev.kiln.runtime;

import dev.kiln.catalog.ProtobufFile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model's declared inputs and outputs, read from the ONNX file's protobuf without ONNX Runtime:
 * metadata requests need no session, so no caller can make a model resident by asking about it.
 * Only the graph's {@code input}, {@code output} and initializer names are decoded; everything else
 * (nodes, weights) is skipped by length, so a large model costs a few reads, not its size in memory.
 * Field numbers are those of onnx.proto.
 */
public final class OnnxFileSignature {

    /**
     * The inputs (initializers excluded, as ONNX Runtime reports them) and outputs of a model file,
     * and the operators its graph uses.
     */
    public record Signature(List<TensorSpec> inputs, List<TensorSpec> outputs, Set<String> operators) {
    }

    private static final int MODEL_GRAPH = 7;
    private static final int GRAPH_NODE = 1, NODE_OP_TYPE = 4;
    private static final int GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11, GRAPH_OUTPUT = 12, GRAPH_SPARSE_INITIALIZER = 15;
    private static final int TENSOR_NAME = 8, SPARSE_VALUES = 1;
    private static final int VALUE_NAME = 1, VALUE_TYPE = 2;
    private static final int TYPE_TENSOR = 1, TYPE_SEQUENCE = 4, TYPE_MAP = 5, TYPE_SPARSE_TENSOR = 8, TYPE_OPTIONAL = 9;
    private static final int TENSOR_ELEM_TYPE = 1, TENSOR_SHAPE = 2, SHAPE_DIM = 1, DIM_VALUE = 1;
    /** ONNX TensorProto.DataType codes to V2 datatypes. */
    private static final Map<Integer, String> DATATYPES = Map.ofEntries(Map.entry(1, "FP32"), Map.entry(2, "UINT8"),
            Map.entry(3, "INT8"), Map.entry(4, "UINT16"), Map.entry(5, "INT16"), Map.entry(6, "INT32"), Map.entry(7, "INT64"),
            Map.entry(8, "BYTES"), Map.entry(9, "BOOL"), Map.entry(10, "FP16"), Map.entry(11, "FP64"), Map.entry(12, "UINT32"),
            Map.entry(13, "UINT64"), Map.entry(16, "BF16"));

    private OnnxFileSignature() {
    }

    public static Signature read(Path file) throws IOException {
        try (ProtobufFile in = ProtobufFile.open(file)) {
            long end = in.length();
            while (in.position() < end) {
                long tag = in.varint();
                if (field(tag) == MODEL_GRAPH && wire(tag) == 2) {
                    return graph(in, in.endOfMessage());
                }
                in.skipField(tag);
            }
        }
        throw new IOException("no graph in the model file");
    }

    private static Signature graph(ProtobufFile in, long end) throws IOException {
        List<TensorSpec> inputs = new ArrayList<>();
        List<TensorSpec> outputs = new ArrayList<>();
        Set<String> initializers = new HashSet<>();
        Set<String> operators = new java.util.TreeSet<>();
        while (in.position() < end) {
            long tag = in.varint();
            int field = field(tag);
            if (wire(tag) != 2) {
                in.skipField(tag);
                continue;
            }
            long stop = in.endOfMessage();
            switch (field) {
                case GRAPH_NODE -> {
                    String op = stringField(in, stop, NODE_OP_TYPE);
                    if (op != null) {
                        operators.add(op);
                    }
                }
                case GRAPH_INPUT -> inputs.add(valueInfo(in, stop));
                case GRAPH_OUTPUT -> outputs.add(valueInfo(in, stop));
                case GRAPH_INITIALIZER -> initializers.add(stringField(in, stop, TENSOR_NAME));
                case GRAPH_SPARSE_INITIALIZER -> initializers.add(sparseName(in, stop));
                default -> {
                }
            }
            in.seek(stop);
        }
        inputs.removeIf(spec -> initializers.contains(spec.name()));
        return new Signature(List.copyOf(inputs), List.copyOf(outputs), java.util.Collections.unmodifiableSet(operators));
    }

    private static TensorSpec valueInfo(ProtobufFile in, long end) throws IOException {
        String name = "";
        String datatype = "UNKNOWN";
        long[] shape = new long[0];
        while (in.position() < end) {
            long tag = in.varint();
            if (field(tag) == VALUE_NAME && wire(tag) == 2) {
                name = in.string();
            } else if (field(tag) == VALUE_TYPE && wire(tag) == 2) {
                long stop = in.endOfMessage();
                TypeAndShape t = type(in, stop);
                datatype = t.datatype;
                shape = t.shape;
                in.seek(stop);
            } else {
                in.skipField(tag);
            }
        }
        return new TensorSpec(name, datatype, shape);
    }

    private record TypeAndShape(String datatype, long[] shape) {
    }

    /** Names follow what {@code TensorSpecs} reports for values that are not tensors. */
    private static TypeAndShape type(ProtobufFile in, long end) throws IOException {
        TypeAndShape out = new TypeAndShape("UNKNOWN", new long[0]);
        while (in.position() < end) {
            long tag = in.varint();
            int field = field(tag);
            if (wire(tag) != 2) {
                in.skipField(tag);
                continue;
            }
            long stop = in.endOfMessage();
            switch (field) {
                case TYPE_TENSOR, TYPE_SPARSE_TENSOR -> out = tensorType(in, stop);
                case TYPE_SEQUENCE -> out = new TypeAndShape("SequenceInfo", new long[0]);
                case TYPE_MAP -> out = new TypeAndShape("MapInfo", new long[0]);
                case TYPE_OPTIONAL -> out = new TypeAndShape("OptionalInfo", new long[0]);
                default -> {
                }
            }
            in.seek(stop);
        }
        return out;
    }

    private static TypeAndShape tensorType(ProtobufFile in, long end) throws IOException {
        int elem = 0;
        List<Long> dims = new ArrayList<>();
        while (in.position() < end) {
            long tag = in.varint();
            if (field(tag) == TENSOR_ELEM_TYPE && wire(tag) == 0) {
                elem = (int) in.varint();
            } else if (field(tag) == TENSOR_SHAPE && wire(tag) == 2) {
                long stop = in.endOfMessage();
                while (in.position() < stop) {
                    long dimTag = in.varint();
                    if (field(dimTag) == SHAPE_DIM && wire(dimTag) == 2) {
                        long dimStop = in.endOfMessage();
                        dims.add(dimension(in, dimStop));
                        in.seek(dimStop);
                    } else {
                        in.skipField(dimTag);
                    }
                }
            } else {
                in.skipField(tag);
            }
        }
        String datatype = DATATYPES.getOrDefault(elem, "ONNX_TENSOR_ELEMENT_DATA_TYPE_" + elem);
        return new TypeAndShape(datatype, dims.stream().mapToLong(Long::longValue).toArray());
    }

    /** A fixed size, or -1 for a named (dynamic) or unknown dimension, as ONNX Runtime reports it. */
    private static long dimension(ProtobufFile in, long end) throws IOException {
        long value = -1;
        while (in.position() < end) {
            long tag = in.varint();
            if (field(tag) == DIM_VALUE && wire(tag) == 0) {
                value = in.varint();
            } else {
                in.skipField(tag);
            }
        }
        return value;
    }

    private static String stringField(ProtobufFile in, long end, int wanted) throws IOException {
        String found = null;
        while (in.position() < end) {
            long tag = in.varint();
            if (field(tag) == wanted && wire(tag) == 2) {
                found = in.string();
            } else {
                in.skipField(tag);
            }
        }
        return found;
    }

    private static String sparseName(ProtobufFile in, long end) throws IOException {
        String found = null;
        while (in.position() < end) {
            long tag = in.varint();
            if (field(tag) == SPARSE_VALUES && wire(tag) == 2) {
                long stop = in.endOfMessage();
                found = stringField(in, stop, TENSOR_NAME);
                in.seek(stop);
            } else {
                in.skipField(tag);
            }
        }
        return found;
    }

    private static int field(long tag) {
        return (int) (tag >>> 3);
    }

    private static int wire(long tag) {
        return (int) (tag & 7);
    }
}
