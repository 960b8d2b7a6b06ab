package dev.kiln.runtime;

import dev.kiln.runtime.TinyOnnx.Proto;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Tiny ONNX models whose tensors live in external data (TensorProto.data_location = EXTERNAL, with
 * {@code location}, {@code offset} and {@code length} in external_data), in each place a tensor can
 * sit: a graph initializer, a sparse initializer, a Constant node's attribute, a subgraph of If, a
 * function body. The hostile ones point outside their directory; {@link #addWeights} is the
 * legitimate form (weights in a file beside the model).
 */
public final class ExternalDataOnnx {

    private static final int DATA_LOCATION_EXTERNAL = 1;
    private static final int ATTRIBUTE_TENSOR = 4, ATTRIBUTE_GRAPH = 5, ATTRIBUTE_TENSORS = 9, ATTRIBUTE_GRAPHS = 10,
            ATTRIBUTE_SPARSE_TENSOR = 11;

    private ExternalDataOnnx() {
    }

    /** Y = Identity(W), W a UINT8[length] initializer read from {@code location}: {"inputs": []} answers with those bytes. */
    public static byte[] initializer(String location, long offset, long length) {
        Proto g = new Proto();
        g.bytes(1, TinyOnnx.node("Identity", new String[]{"W"}, "Y"));
        g.string(2, "external-initializer");
        g.bytes(5, tensor("W", length, location, offset));
        g.bytes(12, TinyOnnx.valueInfo("Y", TinyOnnx.UINT8, new long[]{length}));
        return TinyOnnx.model(g.toBytes());
    }

    /** As {@link #initializer}, W a sparse initializer (every element present) whose values are external. */
    public static byte[] sparseInitializer(String location, long length) {
        Proto g = new Proto();
        g.bytes(1, TinyOnnx.node("Identity", new String[]{"W"}, "Y"));
        g.string(2, "external-sparse");
        g.bytes(15, sparse("W", length, location));
        g.bytes(12, TinyOnnx.valueInfo("Y", TinyOnnx.UINT8, new long[]{length}));
        return TinyOnnx.model(g.toBytes());
    }

    /** Y = Constant(value = a UINT8[length] tensor read from {@code location}). */
    public static byte[] constantNode(String location, long length) {
        Proto g = new Proto();
        g.bytes(1, constant("Y", tensor("value", length, location, 0)));
        g.string(2, "external-constant");
        g.bytes(12, TinyOnnx.valueInfo("Y", TinyOnnx.UINT8, new long[]{length}));
        return TinyOnnx.model(g.toBytes());
    }

    /** Y = If(true) then Identity(W) else Constant(zeros), W an initializer of the then-branch read from {@code location}. */
    public static byte[] inSubgraph(String location, long length) {
        Proto cond = new Proto();
        cond.varint(2, TinyOnnx.BOOL);
        cond.string(8, "cond");
        cond.bytes(9, new byte[]{1});
        Proto zeros = new Proto();
        zeros.varint(1, length);
        zeros.varint(2, TinyOnnx.UINT8);
        zeros.string(8, "value");
        zeros.bytes(9, new byte[(int) length]);

        Proto then = new Proto();
        then.bytes(1, TinyOnnx.node("Identity", new String[]{"W"}, "then-out"));
        then.string(2, "then");
        then.bytes(5, tensor("W", length, location, 0));
        then.bytes(12, TinyOnnx.valueInfo("then-out", TinyOnnx.UINT8, new long[]{length}));
        Proto otherwise = new Proto();
        otherwise.bytes(1, constant("else-out", zeros.toBytes()));
        otherwise.string(2, "else");
        otherwise.bytes(12, TinyOnnx.valueInfo("else-out", TinyOnnx.UINT8, new long[]{length}));

        Proto ifNode = new Proto();
        ifNode.string(1, "C");
        ifNode.string(2, "Y");
        ifNode.string(3, "if");
        ifNode.string(4, "If");
        ifNode.bytes(5, graphAttribute("then_branch", then.toBytes()));
        ifNode.bytes(5, graphAttribute("else_branch", otherwise.toBytes()));

        Proto g = new Proto();
        g.bytes(1, constant("C", cond.toBytes()));
        g.bytes(1, ifNode.toBytes());
        g.string(2, "external-subgraph");
        g.bytes(12, TinyOnnx.valueInfo("Y", TinyOnnx.UINT8, new long[]{length}));
        return TinyOnnx.model(g.toBytes());
    }

    /**
     * Y = Add(X, W) over FLOAT[n], W read from {@code location} (offset 0): the legitimate form, with
     * {@link #floats} of the weights written to that file beside the model.
     */
    public static byte[] addWeights(String location, int n) {
        Proto w = new Proto();
        w.varint(1, n);
        w.varint(2, TinyOnnx.FLOAT);
        w.string(8, "W");
        entry(w, "location", location);
        entry(w, "offset", "0");
        entry(w, "length", Long.toString(4L * n));
        w.varint(14, DATA_LOCATION_EXTERNAL);
        Proto g = new Proto();
        g.bytes(1, TinyOnnx.node("Add", new String[]{"X", "W"}, "Y"));
        g.string(2, "external-weights");
        g.bytes(5, w.toBytes());
        g.bytes(11, TinyOnnx.valueInfo("X", TinyOnnx.FLOAT, new long[]{n}));
        g.bytes(12, TinyOnnx.valueInfo("Y", TinyOnnx.FLOAT, new long[]{n}));
        return TinyOnnx.model(g.toBytes());
    }

    public static byte[] floats(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    // ---- places the checker must look that ONNX Runtime need not run: encoded only ----

    /** A Constant node whose {@code sparse_value} attribute has external values. */
    public static byte[] sparseAttribute(String location, long length) {
        Proto a = new Proto();
        a.string(1, "sparse_value");
        a.bytes(22, sparse("value", length, location));
        a.varint(20, ATTRIBUTE_SPARSE_TENSOR);
        return graphWithNode(node("Constant", a.toBytes()), length);
    }

    /** A node with a TENSORS attribute, the second tensor external. */
    public static byte[] tensorsAttribute(String location, long length) {
        Proto inline = new Proto();
        inline.varint(2, TinyOnnx.UINT8);
        inline.bytes(9, new byte[]{0});
        Proto a = new Proto();
        a.string(1, "values");
        a.bytes(10, inline.toBytes());
        a.bytes(10, tensor("second", length, location, 0));
        a.varint(20, ATTRIBUTE_TENSORS);
        return graphWithNode(node("Custom", a.toBytes()), length);
    }

    /** A node with a GRAPHS attribute whose second graph has an external initializer, two levels down. */
    public static byte[] graphsAttribute(String location, long length) {
        Proto deep = new Proto();
        deep.string(2, "deepest");
        deep.bytes(5, tensor("W", length, location, 0));
        Proto middle = new Proto();
        middle.bytes(1, node("Loop", graphAttribute("body", deep.toBytes())));
        middle.string(2, "middle");
        Proto a = new Proto();
        a.string(1, "branches");
        a.bytes(11, new Proto().toBytes());
        a.bytes(11, middle.toBytes());
        a.varint(20, ATTRIBUTE_GRAPHS);
        return graphWithNode(node("Custom", a.toBytes()), length);
    }

    /** A model-local function whose body has a Constant with external data (ModelProto.functions). */
    public static byte[] inFunction(String location, long length) {
        Proto f = new Proto();
        f.string(1, "leak");
        f.bytes(7, constant("out", tensor("value", length, location, 0)));
        f.string(10, "kiln.tests");
        Proto m = new Proto();
        m.varint(1, 8);
        Proto g = new Proto();
        g.string(2, "with-function");
        m.bytes(7, g.toBytes());
        m.bytes(25, f.toBytes());
        return m.toBytes();
    }

    /** Many nested If subgraphs (deeper than any real model), the innermost with an external initializer. */
    public static byte[] nested(int depth, String location) {
        Proto inner = new Proto();
        inner.string(2, "innermost");
        inner.bytes(5, tensor("W", 1, location, 0));
        byte[] graph = inner.toBytes();
        for (int i = 0; i < depth; i++) {
            Proto outer = new Proto();
            outer.bytes(1, node("If", graphAttribute("then_branch", graph)));
            outer.string(2, "level-" + i);
            graph = outer.toBytes();
        }
        return TinyOnnx.model(graph);
    }

    /** An initializer with two location entries (the last one wins in ONNX Runtime): {@code first}, then {@code second}. */
    public static byte[] twoLocations(String first, String second, long length) {
        Proto t = new Proto();
        t.varint(1, length);
        t.varint(2, TinyOnnx.UINT8);
        t.string(8, "W");
        entry(t, "location", first);
        entry(t, "length", Long.toString(length));
        entry(t, "location", second);
        t.varint(14, DATA_LOCATION_EXTERNAL);
        return withInitializer(t.toBytes(), length);
    }

    /** An initializer marked EXTERNAL whose entries name no location. */
    public static byte[] withoutLocation(long length) {
        Proto t = new Proto();
        t.varint(1, length);
        t.varint(2, TinyOnnx.UINT8);
        t.string(8, "W");
        entry(t, "length", Long.toString(length));
        t.varint(14, DATA_LOCATION_EXTERNAL);
        return withInitializer(t.toBytes(), length);
    }

    /** An initializer whose location is the given bytes as they are (not necessarily UTF-8). */
    public static byte[] rawLocation(byte[] location, long length) {
        Proto e = new Proto();
        e.string(1, "location");
        e.bytes(2, location);
        Proto t = new Proto();
        t.varint(1, length);
        t.varint(2, TinyOnnx.UINT8);
        t.string(8, "W");
        t.bytes(13, e.toBytes());
        t.varint(14, DATA_LOCATION_EXTERNAL);
        return withInitializer(t.toBytes(), length);
    }

    private static byte[] withInitializer(byte[] tensor, long length) {
        Proto g = new Proto();
        g.bytes(1, TinyOnnx.node("Identity", new String[]{"W"}, "Y"));
        g.string(2, "initializer");
        g.bytes(5, tensor);
        g.bytes(12, TinyOnnx.valueInfo("Y", TinyOnnx.UINT8, new long[]{length}));
        return TinyOnnx.model(g.toBytes());
    }

    private static byte[] graphWithNode(byte[] node, long length) {
        Proto g = new Proto();
        g.bytes(1, node);
        g.string(2, "encoded-only");
        g.bytes(12, TinyOnnx.valueInfo("Y", TinyOnnx.UINT8, new long[]{length}));
        return TinyOnnx.model(g.toBytes());
    }

    private static byte[] node(String op, byte[] attribute) {
        Proto n = new Proto();
        n.string(2, "Y");
        n.string(4, op);
        n.bytes(5, attribute);
        return n.toBytes();
    }

    private static byte[] tensor(String name, long length, String location, long offset) {
        Proto t = new Proto();
        t.varint(1, length);
        t.varint(2, TinyOnnx.UINT8);
        t.string(8, name);
        entry(t, "location", location);
        if (offset > 0) {
            entry(t, "offset", Long.toString(offset));
        }
        entry(t, "length", Long.toString(length));
        t.varint(14, DATA_LOCATION_EXTERNAL);
        return t.toBytes();
    }

    private static byte[] sparse(String name, long length, String location) {
        Proto indices = new Proto();
        indices.varint(1, length);
        indices.varint(2, TinyOnnx.INT64);
        ByteBuffer raw = ByteBuffer.allocate((int) length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < length; i++) {
            raw.putLong(i);
        }
        indices.bytes(9, raw.array());
        Proto s = new Proto();
        s.bytes(1, tensor(name, length, location, 0));
        s.bytes(2, indices.toBytes());
        s.varint(3, length);
        return s.toBytes();
    }

    private static byte[] constant(String output, byte[] tensor) {
        Proto a = new Proto();
        a.string(1, "value");
        a.bytes(5, tensor);
        a.varint(20, ATTRIBUTE_TENSOR);
        Proto n = new Proto();
        n.string(2, output);
        n.string(3, "constant-" + output);
        n.string(4, "Constant");
        n.bytes(5, a.toBytes());
        return n.toBytes();
    }

    private static byte[] graphAttribute(String name, byte[] graph) {
        Proto a = new Proto();
        a.string(1, name);
        a.bytes(6, graph);
        a.varint(20, ATTRIBUTE_GRAPH);
        return a.toBytes();
    }

    private static void entry(Proto tensor, String key, String value) {
        Proto e = new Proto();
        e.string(1, key);
        e.string(2, value);
        tensor.bytes(13, e.toBytes());
    }
}
