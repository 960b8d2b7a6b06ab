package dev.kiln.runtime;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Tiny ONNX models encoded by hand (ModelProto, GraphProto, NodeProto, ValueInfoProto; field
 * numbers from onnx.proto). Kiln uses one to prove an execution provider really starts a session;
 * tests use them for every datatype and shape without an ONNX library.
 */
public final class TinyOnnx {

    /** ONNX TensorProto.DataType codes. */
    public static final int FLOAT = 1, UINT8 = 2, INT8 = 3, INT16 = 5, INT32 = 6, INT64 = 7, STRING = 8,
            BOOL = 9, FLOAT16 = 10, DOUBLE = 11;

    private TinyOnnx() {
    }

    /** Y = Identity(X): output equals input, for any element type. A dim below 0 is dynamic. */
    public static byte[] identity(int elemType, long... dims) {
        byte[] node = node("Identity", new String[]{"X"}, "Y");
        return model(graph("identity", node, valueInfo("X", elemType, dims), valueInfo("Y", elemType, dims)));
    }

    /** Y = Add(X, X): a model whose output differs from its input, for FLOAT. */
    public static byte[] doubler(long... dims) {
        byte[] node = node("Add", new String[]{"X", "X"}, "Y");
        return model(graph("doubler", node, valueInfo("X", FLOAT, dims), valueInfo("Y", FLOAT, dims)));
    }

    /** Y = Constant: a model with no inputs at all, whose output is always {@code values} (FLOAT, 1-D). */
    public static byte[] constant(float... values) {
        Proto tensor = new Proto();
        tensor.varint(1, values.length);                   // dims
        tensor.varint(2, FLOAT);                           // data_type
        java.nio.ByteBuffer packed = java.nio.ByteBuffer.allocate(values.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            packed.putFloat(v);
        }
        tensor.bytes(9, packed.array());                   // raw_data
        Proto attribute = new Proto();
        attribute.string(1, "value");                      // name
        attribute.bytes(5, tensor.toBytes());              // t
        attribute.varint(20, 4);                           // type: TENSOR
        Proto n = new Proto();
        n.string(2, "Y");                                  // output
        n.string(3, "constant");                           // name
        n.string(4, "Constant");                           // op_type
        n.bytes(5, attribute.toBytes());                   // attribute
        Proto g = new Proto();
        g.bytes(1, n.toBytes());                           // node
        g.string(2, "constant");                           // name
        g.bytes(12, valueInfo("Y", FLOAT, new long[]{values.length}));   // output
        return model(g.toBytes());
    }

    static byte[] model(byte[] graph) {
        Proto m = new Proto();
        m.varint(1, 8);                        // ir_version
        m.string(2, "kiln-tests");             // producer_name
        m.bytes(7, graph);                     // graph
        Proto opset = new Proto();
        opset.string(1, "");                   // domain: default
        opset.varint(2, 17);                   // version
        m.bytes(8, opset.toBytes());           // opset_import
        return m.toBytes();
    }

    private static byte[] graph(String name, byte[] node, byte[] input, byte[] output) {
        Proto g = new Proto();
        g.bytes(1, node);                      // node
        g.string(2, name);                     // name
        g.bytes(11, input);                    // input
        g.bytes(12, output);                   // output
        return g.toBytes();
    }

    static byte[] node(String opType, String[] inputs, String output) {
        Proto n = new Proto();
        for (String in : inputs) {
            n.string(1, in);                   // input
        }
        n.string(2, output);                   // output
        n.string(3, opType.toLowerCase());     // name
        n.string(4, opType);                   // op_type
        return n.toBytes();
    }

    static byte[] valueInfo(String name, int elemType, long[] dims) {
        Proto shape = new Proto();
        for (int i = 0; i < dims.length; i++) {
            Proto dim = new Proto();
            if (dims[i] >= 0) {
                dim.varint(1, dims[i]);        // dim_value
            } else {
                dim.string(2, "d" + i);        // dim_param: dynamic
            }
            shape.bytes(1, dim.toBytes());
        }
        Proto tensor = new Proto();
        tensor.varint(1, elemType);            // elem_type
        tensor.bytes(2, shape.toBytes());      // shape
        Proto type = new Proto();
        type.bytes(1, tensor.toBytes());       // tensor_type
        Proto vi = new Proto();
        vi.string(1, name);
        vi.bytes(2, type.toBytes());
        return vi.toBytes();
    }

    /** Just enough of the protobuf wire format: varints and length-delimited fields (tests build on it too). */
    static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void varint(int field, long value) {
            raw((long) field << 3);
            raw(value);
        }

        void string(int field, String value) {
            bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        void bytes(int field, byte[] value) {
            raw(((long) field << 3) | 2);
            raw(value.length);
            out.write(value, 0, value.length);
        }

        private void raw(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }

        byte[] toBytes() {
            return out.toByteArray();
        }
    }
}
