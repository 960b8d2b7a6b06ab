package dev.kiln.runtime;

import dev.kiln.errors.ClientText;

import java.util.Arrays;
import java.util.List;

/** The checks a request's shape must pass before any value is read: rank, fixed dimensions, limits, size. */
public final class TensorShapes {

    /** Beyond this many elements a tensor cannot be held in one buffer. */
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE / 8;
    /** The most BYTES elements one input tensor may hold. */
    public static final int MAX_STRINGS = 65_536;

    private TensorShapes() {
    }

    /** The number of elements, or a 400 when the shape is negative or too large. */
    /**
     * The elements of a BYTES input, at most {@link #MAX_STRINGS}: each becomes a Java String and then a
     * native string in ONNX Runtime, ten times or more its four bytes on the wire, so a body within
     * every byte limit (8,000,000 empty elements, 32 MB) took the heap (507).
     */
    public static long strings(String name, long[] shape) {
        long count = elements(name, shape);
        if (count > MAX_STRINGS) {
            throw new InvalidTensorException("input '" + name + "': shape " + ClientText.shape(shape) + " holds " + count
                    + " BYTES elements; at most " + MAX_STRINGS + " are accepted in one tensor");
        }
        return count;
    }

    public static long elements(String name, long[] shape) {
        long count = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new InvalidTensorException("input '" + name + "': shape " + ClientText.shape(shape) + " has a negative dimension");
            }
            count = Math.multiplyExact(count, d);
            if (count > MAX_ELEMENTS) {
                throw new InvalidTensorException("input '" + name + "': shape " + ClientText.shape(shape) + " is too large");
            }
        }
        return count;
    }

    /**
     * The shape against the model's declaration (rank, fixed dimensions) and the limits its manifest
     * states ({@code input_limits}: the largest size of each dimension, 0 or absent for none).
     */
    public static void check(String name, long[] shape, long[] declared, List<Long> limits) {
        if (shape == null) {
            throw new InvalidTensorException("input '" + name + "': 'shape' is missing");
        }
        if (shape.length != declared.length) {
            throw new InvalidTensorException("input '" + name + "': shape " + ClientText.shape(shape) + " has rank " + shape.length
                    + " but the model expects rank " + declared.length + " " + Arrays.toString(declared));
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new InvalidTensorException("input '" + name + "': shape " + ClientText.shape(shape) + " has a negative dimension");
            }
            if (declared[i] >= 0 && declared[i] != shape[i]) {
                throw new InvalidTensorException("input '" + name + "': shape " + ClientText.shape(shape)
                        + " does not match the model's " + Arrays.toString(declared) + " at dimension " + i);
            }
            Long limit = limits != null && i < limits.size() ? limits.get(i) : null;
            if (limit != null && limit > 0 && shape[i] > limit) {
                throw new InvalidTensorException("input '" + name + "': dimension " + i + " is " + shape[i]
                        + ", more than the model takes (" + limit + ", input_limits in its model.yaml)");
            }
        }
        elements(name, shape);
    }
}
