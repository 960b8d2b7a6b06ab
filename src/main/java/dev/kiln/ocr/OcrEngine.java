package dev.kiln.ocr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * PP-OCR on one image: detect (one model call), turn the map into boxes in reading order, crop and
 * straighten each box, classify every line's orientation (one batch of all lines; those read as
 * upside down are turned, those the classifier is unsure of are read both ways), recognise (lines
 * sorted by aspect ratio, batched by width, all batches submitted at once) and decode. Models run
 * through {@link ModelCalls}; everything else here is plain Java on arrays.
 * <p>
 * {@link #readAsync} never blocks: each step after a model call runs on the thread that completes
 * the call (in Kiln, the inference worker that ran the model: the steps between models take a few
 * milliseconds of the same CPU budget). {@link #read} waits for it. Thread-safe: one engine serves
 * concurrent images.
 */
public final class OcrEngine {

    private final ModelCalls calls;
    private final OcrModels models;
    private final OcrSettings settings;
    private final CtcDecoder decoder;
    private final ImageDecoder images;
    private final DetPreprocess detInput;
    private final DbPostProcess boxes;

    public OcrEngine(ModelCalls calls, OcrModels models, OcrSettings settings, CtcDecoder decoder) {
        this.calls = calls;
        this.models = models;
        this.settings = settings;
        this.decoder = decoder;
        this.images = new ImageDecoder(settings.maxPixels());
        this.detInput = new DetPreprocess(settings.limitSideLen(), settings.limitType());
        this.boxes = new DbPostProcess(settings.threshold(), settings.boxThreshold(), settings.unclipRatio(),
                settings.minSize(), settings.maxCandidates(), settings.dilate());
    }

    /** PNG or JPEG bytes; a bad image is refused (KilnError INVALID) before any model runs. */
    public OcrResult read(byte[] encodedImage) {
        return read(images.decode(encodedImage));
    }

    public OcrResult read(RgbImage image) {
        try {
            return readAsync(image).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** Decodes here (a bad image throws KilnError INVALID at once, nothing submitted), then as {@link #readAsync(RgbImage)}. */
    public CompletableFuture<OcrResult> readAsync(byte[] encodedImage) {
        return readAsync(images.decode(encodedImage));
    }

    public CompletableFuture<OcrResult> readAsync(RgbImage image) {
        long start = System.nanoTime();
        DetInput input = detInput.prepare(image);
        return calls.submit(models.detector(), Map.of(models.input(), input.tensor()))
                .thenCompose(map -> afterDetection(image, input, only(map), start));
    }

    private CompletableFuture<OcrResult> afterDetection(RgbImage image, DetInput input, FloatTensor map, long start) {
        long detected = System.nanoTime();
        List<TextBox> found = ReadingOrder.sort(boxes.boxes(map, input), settings.lineTolerance());
        long boxed = System.nanoTime();
        List<RgbImage> lines = new ArrayList<>(found.size());
        for (TextBox box : found) {
            lines.add(LineCropper.crop(image, box));
        }
        long cropped = System.nanoTime();
        CompletableFuture<List<Integer>> oriented = settings.useClassifier() && !lines.isEmpty()
                ? orient(lines) : CompletableFuture.completedFuture(List.of());
        return oriented.thenCompose(unsure -> {
            long classified = System.nanoTime();
            return recogniseEitherWay(lines, unsure).thenApply(texts -> {
                List<OcrLine> out = new ArrayList<>(found.size());
                for (int i = 0; i < found.size(); i++) {
                    CtcDecoder.Text t = texts.get(i);
                    if (t.score() >= settings.dropScore() && !t.text().isBlank()) {
                        out.add(new OcrLine(t.text(), t.score(), found.get(i).xy()));
                    }
                }
                return new OcrResult(out, new OcrResult.Timings(detected - start, boxed - detected, cropped - boxed,
                        classified - cropped, System.nanoTime() - classified));
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
        List<CompletableFuture<Map<String, FloatTensor>>> runs = new ArrayList<>();
        for (int start = 0; start < lines.size(); start += settings.classifierBatch()) {
            List<RgbImage> chunk = lines.subList(start, Math.min(lines.size(), start + settings.classifierBatch()));
            runs.add(calls.submit(models.classifier(), Map.of(models.input(), ClsInput.batch(chunk))));
        }
        return CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).thenApply(done -> {
            List<Integer> unsure = new ArrayList<>();
            for (int k = 0; k < runs.size(); k++) {
                float[] p = only(runs.get(k).join()).data();
                int first = k * settings.classifierBatch();
                for (int row = 0; row < p.length / 2; row++) {
                    if (p[2 * row + 1] > settings.classifierThreshold()) {
                        lines.set(first + row, lines.get(first + row).rotated180());
                    } else if (p[2 * row] <= settings.classifierThreshold()) {
                        unsure.add(first + row);
                    }
                }
            }
            return unsure;
        });
    }

    /** Reads the lines, and the unsure ones turned too, in the same batches; the more confident reading wins. */
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

    /** All batches submitted at once, so several workers read the lines of one image side by side. */
    private CompletableFuture<List<CtcDecoder.Text>> recognise(List<RgbImage> lines) {
        List<RecBatches.Batch> batches = RecBatches.of(lines, settings.recognizerBatch());
        List<CompletableFuture<Map<String, FloatTensor>>> runs = new ArrayList<>(batches.size());
        for (RecBatches.Batch b : batches) {
            runs.add(calls.submit(models.recognizer(), Map.of(models.input(), b.tensor())));
        }
        return CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).thenApply(done -> {
            CtcDecoder.Text[] texts = new CtcDecoder.Text[lines.size()];
            for (int k = 0; k < batches.size(); k++) {
                List<CtcDecoder.Text> decoded = decoder.decode(only(runs.get(k).join()));
                int[] members = batches.get(k).lines();
                for (int i = 0; i < members.length; i++) {
                    texts[members[i]] = decoded.get(i);
                }
            }
            return List.of(texts);
        });
    }

    private static FloatTensor only(Map<String, FloatTensor> outputs) {
        if (outputs.size() != 1) {
            throw new IllegalStateException("expected one output, got " + outputs.keySet());
        }
        return outputs.values().iterator().next();
    }
}
