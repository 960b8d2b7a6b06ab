package dev.kiln.ocr;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Greedy CTC decoding of the recogniser's output [N, T, C]: the most likely class at each step,
 * repeats collapsed, the blank dropped. Classes as PaddleOCR numbers them (CTCLabelDecode with
 * use_space_char, and RapidOCR alike): 0 is the blank, 1..K the dictionary's lines in order, K + 1 a
 * space; ppocr_keys_v1.txt has 6623 lines, so C = 6625. A line's score is the mean of the chosen
 * steps' probabilities (0 for an empty line).
 */
public final class CtcDecoder {

    /** A decoded line. */
    public record Text(String text, float score) {
    }

    private final String[] classes;

    public CtcDecoder(List<String> dictionary) {
        classes = new String[dictionary.size() + 2];
        classes[0] = "";
        for (int i = 0; i < dictionary.size(); i++) {
            classes[i + 1] = dictionary.get(i);
        }
        classes[classes.length - 1] = " ";
    }

    /** One character per line of the file (UTF-8); line ends are not part of them. */
    public static CtcDecoder fromFile(Path dictionary) throws IOException {
        return new CtcDecoder(Files.readAllLines(dictionary, StandardCharsets.UTF_8));
    }

    public int classCount() {
        return classes.length;
    }

    public List<Text> decode(FloatTensor probabilities) {
        int n = probabilities.dim(0);
        int steps = probabilities.dim(1);
        int c = probabilities.dim(2);
        if (c != classes.length) {
            throw new IllegalArgumentException("the recogniser answers " + c + " classes, the dictionary makes " + classes.length);
        }
        java.nio.FloatBuffer p = probabilities.values();
        List<Text> out = new ArrayList<>(n);
        for (int row = 0; row < n; row++) {
            StringBuilder text = new StringBuilder();
            double sum = 0;
            int kept = 0;
            int previous = -1;
            for (int t = 0, base = (row * steps) * c; t < steps; t++, base += c) {
                int best = 0;
                float max = p.get(base);
                for (int k = 1; k < c; k++) {
                    float v = p.get(base + k);
                    if (v > max) {
                        max = v;
                        best = k;
                    }
                }
                if (best != 0 && best != previous) {
                    text.append(classes[best]);
                    sum += max;
                    kept++;
                }
                previous = best;
            }
            out.add(new Text(text.toString(), kept == 0 ? 0f : (float) (sum / kept)));
        }
        return out;
    }
}
