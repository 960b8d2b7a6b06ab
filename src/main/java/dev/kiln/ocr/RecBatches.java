package dev.kiln.ocr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * PaddleOCR's TextRecognizer input, batched by width: the lines are sorted by aspect ratio and cut
 * into batches of at most {@code batchSize}; each line is resized to 48 pixels high at its own
 * aspect ratio, normalised to {@code (v / 255 - 0.5) / 0.5} and padded with zeros to the widest line
 * of its batch. Sorting first keeps the padding small. Unlike PaddleOCR there is no minimum width
 * of 320: a short line is not padded to a long one's cost (RapidOCR pads nothing either). There is
 * a maximum, {@link #MAX_WIDTH}: the recogniser's memory grows with the square of its width (a
 * 10000x8 image stretched into one 60000-pixel line took 2.7 GB and kept it in ONNX Runtime's arena),
 * so a longer line is squeezed to it; at 48 pixels high that still holds some 200 characters.
 */
public final class RecBatches {

    public static final int HEIGHT = 48;
    public static final int MAX_WIDTH = 3200;
    private static final PlaneWriter NORMALISE = PlaneWriter.symmetric();

    /** One batch: which lines (indices into the list given) and their tensor [n, 3, 48, W]. */
    public record Batch(int[] lines, FloatTensor tensor) {
    }

    private RecBatches() {
    }

    public static List<Batch> of(List<RgbImage> lines, int batchSize) {
        Integer[] order = new Integer[lines.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> lines.get(i).width() / (double) lines.get(i).height()));
        List<Batch> out = new ArrayList<>();
        for (int start = 0; start < order.length; start += batchSize) {
            int[] members = new int[Math.min(batchSize, order.length - start)];
            int width = 1;
            for (int k = 0; k < members.length; k++) {
                members[k] = order[start + k];
                width = Math.max(width, scaledWidth(lines.get(members[k])));
            }
            out.add(new Batch(members, tensor(lines, members, width)));
        }
        return out;
    }

    private static FloatTensor tensor(List<RgbImage> lines, int[] members, int width) {
        FloatTensor tensor = FloatTensor.allocate(members.length, 3, HEIGHT, width);
        for (int k = 0; k < members.length; k++) {
            RgbImage line = lines.get(members[k]);
            NORMALISE.write(Bilinear.resize(line, Math.min(width, scaledWidth(line)), HEIGHT), tensor, k, HEIGHT, width);
        }
        return tensor;
    }

    /** The line's width at 48 pixels high, at most {@link #MAX_WIDTH}. */
    static int scaledWidth(RgbImage line) {
        return Math.min(MAX_WIDTH, ClsInput.scaledWidth(line));
    }
}
