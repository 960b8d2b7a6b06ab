package dev.kiln.ocr;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * How bench/ocr.sh and the tests score an OCR engine against ground truth, the same way for every
 * engine:
 * <ol>
 * <li>Texts are compared after NFKC normalisation (full-width "：" is ":") with all white space
 *     removed, as PaddleOCR's recognition metric ignores spaces.</li>
 * <li>Each predicted line goes to the ground-truth line whose box contains the centre of the predicted
 *     box (the nearest centre if several do); predicted lines that land in no box are not scored
 *     (they are counted as {@code strays}). The predicted lines of one ground-truth line are joined
 *     left to right, or right to left if that reads closer (a detector may cut a line in two, and the
 *     pieces of a line upside down lie right to left).</li>
 * <li>A ground-truth line's errors: the edit distance (Levenshtein, in code points) between its text
 *     and what was read for it, capped at its length (a line never read costs its length).</li>
 * <li><b>Character accuracy</b> = 1 − (errors summed over all lines of all images) / (their characters).</li>
 * <li><b>Line recall</b> = the share of ground-truth lines read with at most 10 % of their characters
 *     wrong (line character accuracy ≥ 0.9); {@code exact} counts those read without an error.</li>
 * </ol>
 */
public final class OcrScore {

    /** A line an engine read. */
    public record Predicted(String text, float[] box) {
    }

    /** Sums over lines and images. */
    public record Totals(int characters, int errors, int lines, int found, int exact, int strays) {

        public static final Totals ZERO = new Totals(0, 0, 0, 0, 0, 0);

        public Totals plus(Totals o) {
            return new Totals(characters + o.characters, errors + o.errors, lines + o.lines, found + o.found,
                    exact + o.exact, strays + o.strays);
        }

        public double charAccuracy() {
            return characters == 0 ? 1 : 1 - (double) errors / characters;
        }

        public double lineRecall() {
            return lines == 0 ? 1 : (double) found / lines;
        }
    }

    /** One ground-truth line, what was read for it and its errors. */
    public record LineVerdict(String truth, String read, int errors) {

        /** Read with at most 10 % of its characters wrong. */
        public boolean found() {
            return isFound(errors, length(normalise(truth)));
        }
    }

    private static boolean isFound(int errors, int characters) {
        return errors <= 0.1 * characters;
    }

    private static int length(String s) {
        return s.codePointCount(0, s.length());
    }

    private OcrScore() {
    }

    public static Totals score(List<OcrTestImages.TruthLine> truth, List<Predicted> predicted) {
        return score(truth, predicted, null);
    }

    /** Scores one image; {@code verdicts}, when given, receives each ground-truth line's verdict. */
    public static Totals score(List<OcrTestImages.TruthLine> truth, List<Predicted> predicted, List<LineVerdict> verdicts) {
        List<List<Predicted>> assigned = new ArrayList<>();
        truth.forEach(t -> assigned.add(new ArrayList<>()));
        int strays = 0;
        for (Predicted p : predicted) {
            int line = owner(truth, centre(p.box(), 0), centre(p.box(), 1));
            if (line < 0) {
                strays++;
            } else {
                assigned.get(line).add(p);
            }
        }
        int chars = 0, errors = 0, found = 0, exact = 0;
        for (int i = 0; i < truth.size(); i++) {
            List<Predicted> parts = assigned.get(i);
            parts.sort(Comparator.comparingDouble(p -> centre(p.box(), 0)));
            StringBuilder read = new StringBuilder();
            StringBuilder backwards = new StringBuilder();
            parts.forEach(p -> read.append(p.text()));
            parts.forEach(p -> backwards.insert(0, p.text()));
            String t = normalise(truth.get(i).text());
            int e = Math.min(length(t),
                    Math.min(editDistance(t, normalise(read.toString())), editDistance(t, normalise(backwards.toString()))));
            int n = length(t);
            chars += n;
            errors += e;
            found += isFound(e, n) ? 1 : 0;
            exact += e == 0 ? 1 : 0;
            if (verdicts != null) {
                verdicts.add(new LineVerdict(truth.get(i).text(), read.toString(), e));
            }
        }
        return new Totals(chars, errors, truth.size(), found, exact, strays);
    }

    public static String normalise(String s) {
        return Normalizer.normalize(s, Normalizer.Form.NFKC).replaceAll("\\s+", "");
    }

    /** Levenshtein distance over code points. */
    public static int editDistance(String a, String b) {
        int[] x = a.codePoints().toArray();
        int[] y = b.codePoints().toArray();
        int[] prev = new int[y.length + 1];
        int[] cur = new int[y.length + 1];
        for (int j = 0; j <= y.length; j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= x.length; i++) {
            cur[0] = i;
            for (int j = 1; j <= y.length; j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[y.length];
    }

    private static int owner(List<OcrTestImages.TruthLine> truth, double cx, double cy) {
        int best = -1;
        double bestDistance = Double.MAX_VALUE;
        for (int i = 0; i < truth.size(); i++) {
            float[] b = truth.get(i).box();
            double minX = Math.min(b[0], b[6]), maxX = Math.max(b[2], b[4]), minY = Math.min(b[1], b[3]), maxY = Math.max(b[5], b[7]);
            if (cx >= minX && cx <= maxX && cy >= minY && cy <= maxY) {
                double d = Math.hypot(cx - centre(b, 0), cy - centre(b, 1));
                if (d < bestDistance) {
                    bestDistance = d;
                    best = i;
                }
            }
        }
        return best;
    }

    private static double centre(float[] box, int axis) {
        return (box[axis] + box[2 + axis] + box[4 + axis] + box[6 + axis]) / 4.0;
    }
}
