package dev.kiln.ocr;

import java.util.Arrays;

/**
 * A float tensor as the OCR steps build and read it: a row-major array and its shape. Plain arrays
 * keep the steps free of any runtime; whoever runs the models wraps them once.
 */
public record FloatTensor(long[] shape, float[] data) {

    public FloatTensor {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
        }
    }

    public int dim(int i) {
        return (int) shape[i];
    }

    @Override
    public String toString() {
        return "FloatTensor" + Arrays.toString(shape);
    }
}
