package dev.kiln.pipelines;

import dev.kiln.runtime.TensorSpec;

import java.util.Arrays;

/** What a step reads or writes under one name: a datatype and a shape (-1 for a size known only when it runs). */
record Port(String datatype, long[] shape) {

    static Port of(TensorSpec spec) {
        return new Port(spec.datatype(), spec.shape());
    }

    /** Why a tensor written as {@code this} cannot be read as {@code reader}, or null when it can. */
    String mismatch(Port reader) {
        if (!datatype.equals(reader.datatype)) {
            return datatype + " where " + reader.datatype + " is read";
        }
        if (shape.length != reader.shape.length) {
            return "rank " + shape.length + " " + Arrays.toString(shape) + " where rank " + reader.shape.length + " "
                    + Arrays.toString(reader.shape) + " is read";
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] >= 0 && reader.shape[i] >= 0 && shape[i] != reader.shape[i]) {
                return "shape " + Arrays.toString(shape) + " where " + Arrays.toString(reader.shape) + " is read (dimension " + i + ")";
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return datatype + Arrays.toString(shape);
    }
}
