package dev.kiln.embeddings;

import java.nio.FloatBuffer;

/**
 * Token states to one vector, as sentence-transformers does: {@code mean} over the positions whose
 * attention mask is 1 (padding never counts), or {@code cls} (the first position); then, when asked,
 * L2 normalisation.
 */
enum Pooling {
    MEAN, CLS;

    static Pooling of(String name) {
        if (name == null || name.equalsIgnoreCase("mean")) {
            return MEAN;
        }
        if (name.equalsIgnoreCase("cls")) {
            return CLS;
        }
        throw new IllegalArgumentException("embedding.pooling must be mean or cls, not '" + name + "'");
    }

    /**
     * Row {@code row} of {@code states} ([rows, positions, hidden], row-major), of which the first
     * {@code length} positions are the text's own tokens.
     */
    float[] pool(FloatBuffer states, int row, int positions, int hidden, int length, boolean normalize) {
        float[] v = new float[hidden];
        int base = row * positions * hidden;
        int used = this == CLS ? 1 : length;
        // sums in double: 512 positions of float32 would lose the last digits the comparison tests look at
        double[] sum = new double[hidden];
        for (int p = 0; p < used; p++) {
            int at = base + p * hidden;
            for (int h = 0; h < hidden; h++) {
                sum[h] += states.get(at + h);
            }
        }
        for (int h = 0; h < hidden; h++) {
            v[h] = (float) (sum[h] / used);
        }
        return normalize ? normalized(v) : v;
    }

    /** Already one vector per row ([rows, hidden]): only the normalisation. */
    static float[] row(FloatBuffer vectors, int row, int hidden, boolean normalize) {
        float[] v = new float[hidden];
        vectors.get(row * hidden, v);
        return normalize ? normalized(v) : v;
    }

    static float[] normalized(float[] v) {
        double sq = 0;
        for (float x : v) {
            sq += (double) x * x;
        }
        double norm = Math.max(Math.sqrt(sq), 1e-12);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (v[i] / norm);
        }
        return v;
    }
}
