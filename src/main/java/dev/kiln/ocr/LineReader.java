package dev.kiln.ocr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The second half of PP-OCR, from the boxes found to the text: crop and straighten each box, classify
 * every line's orientation (batches of {@code classifierBatch} lines; those read as upside down are
 * turned, those the classifier is unsure of are read both ways), recognise (lines sorted by aspect
 * ratio, batched by width, all batches of the image sent as one unit) and decode. Models run
 * through {@link ModelCalls}; everything else here is plain Java on arrays, and runs on whichever
 * thread completes the model calls (see {@link ModelCalls#submit}). Thread-safe.
 */
public final class LineReader {

    /** The lines read (reading order kept, low scores left out) and the nanoseconds of each part. */
    public record Result(List<OcrLine> lines, long crops, long classifier, long recognizer) {
    }

    private final ModelCalls calls;
    private final String classifier;
    private final String classifierInput;
    private final String recognizer;
    private final String recognizerInput;
    private final OcrSettings settings;
    private final CtcDecoder decoder;

    /**
     * {@code classifier}: the orientation model, or null to read every line as it stands; each model
     * with the name of its (one) image input.
     */
    public LineReader(ModelCalls calls, String classifier, String classifierInput, String recognizer, String recognizerInput,
                      OcrSettings settings, CtcDecoder decoder) {
        this.calls = calls;
        this.classifier = classifier;
        this.classifierInput = classifierInput;
        this.recognizer = recognizer;
        this.recognizerInput = recognizerInput;
        this.settings = settings;
        this.decoder = decoder;
    }

    public CompletableFuture<Result> read(RgbImage image, List<TextBox> boxes) {
        long start = System.nanoTime();
        List<RgbImage> lines = new ArrayList<>(boxes.size());
        for (TextBox box : boxes) {
            lines.add(LineCropper.crop(image, box));
        }
        long cropped = System.nanoTime();
        CompletableFuture<List<Integer>> oriented = classifier != null && !lines.isEmpty()
                ? orient(lines) : CompletableFuture.completedFuture(List.of());
        return oriented.thenCompose(unsure -> {
            long classified = System.nanoTime();
            return recogniseEitherWay(lines, unsure).thenApply(texts -> {
                List<OcrLine> out = new ArrayList<>(boxes.size());
                for (int i = 0; i < boxes.size(); i++) {
                    CtcDecoder.Text t = texts.get(i);
                    if (t.score() >= settings.dropScore() && !t.text().isBlank()) {
                        out.add(new OcrLine(t.text(), t.score(), boxes.get(i).xy()));
                    }
                }
                return new Result(out, cropped - start, classified - cropped, System.nanoTime() - classified);
            });
        });
    }

    /**
     * PaddleOCR's rule: turn a line when the classifier says "180" with more than the threshold.
     * Turns those lines in place. On small text the classifier is often unsure (neither answer
     * reaches the threshold; seen at 0.61 for an upright line and 0.73 for an upside-down one):
     * their indices are answered, to be read both ways.
     */
    private CompletableFuture<List<Integer>> orient(List<RgbImage> lines) {
        List<Map<String, FloatTensor>> batches = new ArrayList<>();
        for (int start = 0; start < lines.size(); start += settings.classifierBatch()) {
            List<RgbImage> chunk = lines.subList(start, Math.min(lines.size(), start + settings.classifierBatch()));
            batches.add(Map.of(classifierInput, ClsInput.batch(chunk)));
        }
        return together(classifier, batches).thenApply(answers -> {
            List<Integer> unsure = new ArrayList<>();
            for (int k = 0; k < answers.size(); k++) {
                FloatTensor p = only(answers.get(k));
                int first = k * settings.classifierBatch();
                for (int row = 0; row < p.size() / 2; row++) {
                    if (p.get(2 * row + 1) > settings.classifierThreshold()) {
                        lines.set(first + row, lines.get(first + row).rotated180());
                    } else if (p.get(2 * row) <= settings.classifierThreshold()) {
                        unsure.add(first + row);
                    }
                }
            }
            return unsure;
        });
    }

    /** Reads the lines, and the unsure ones turned too, in the same unit; the more confident reading wins. */
    private CompletableFuture<List<CtcDecoder.Text>> recogniseEitherWay(List<RgbImage> lines, List<Integer> unsure) {
        List<RgbImage> all = new ArrayList<>(lines);
        for (int i : unsure) {
            all.add(lines.get(i).rotated180());
        }
        return recognise(all).thenApply(read -> {
            List<CtcDecoder.Text> texts = new ArrayList<>(read.subList(0, lines.size()));
            for (int k = 0; k < unsure.size(); k++) {
                CtcDecoder.Text turned = read.get(lines.size() + k);
                if (turned.score() > texts.get(unsure.get(k)).score()) {
                    texts.set(unsure.get(k), turned);
                }
            }
            return texts;
        });
    }

    /** All batches of the image as one unit, so several workers read its lines side by side. */
    private CompletableFuture<List<CtcDecoder.Text>> recognise(List<RgbImage> lines) {
        if (lines.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        List<RecBatches.Batch> batches = RecBatches.of(lines, settings.recognizerBatch());
        List<Map<String, FloatTensor>> inputs = new ArrayList<>(batches.size());
        for (RecBatches.Batch b : batches) {
            inputs.add(Map.of(recognizerInput, b.tensor()));
        }
        return together(recognizer, inputs, out -> decoder.decode(only(out))).thenApply(decoded -> {
            CtcDecoder.Text[] texts = new CtcDecoder.Text[lines.size()];
            for (int k = 0; k < batches.size(); k++) {
                int[] members = batches.get(k).lines();
                for (int i = 0; i < members.length; i++) {
                    texts[members[i]] = decoded.get(k).get(i);
                }
            }
            return List.of(texts);
        });
    }

    private CompletableFuture<List<Map<String, FloatTensor>>> together(String model, List<Map<String, FloatTensor>> inputs) {
        return together(model, inputs, Function.identity());
    }

    private <R> CompletableFuture<List<R>> together(String model, List<Map<String, FloatTensor>> inputs,
                                                    Function<Map<String, FloatTensor>, R> read) {
        return inputs.size() == 1 ? calls.submit(model, inputs.get(0)).thenApply(out -> List.of(read.apply(out)))
                : calls.submitTogether(model, inputs, read);
    }

    private static FloatTensor only(Map<String, FloatTensor> outputs) {
        if (outputs.size() != 1) {
            throw new IllegalStateException("expected one output, got " + outputs.keySet());
        }
        return outputs.values().iterator().next();
    }
}
