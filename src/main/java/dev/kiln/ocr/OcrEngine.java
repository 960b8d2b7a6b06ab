package dev.kiln.ocr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * PP-OCR on one image: detect (one model call), turn the map into boxes in reading order, crop and
 * straighten each box, classify every line's orientation (one batch of all lines; those read as
 * upside down are turned), recognise (lines sorted by aspect ratio, batched by width, all batches
 * submitted at once) and decode. Models run through {@link ModelCalls}; everything else here is
 * plain Java on arrays. Thread-safe: one engine serves concurrent images.
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
                settings.minSize(), settings.maxCandidates());
    }

    /** PNG or JPEG bytes; refuses bad images (KilnError INVALID) before any model runs. */
    public OcrResult read(byte[] encodedImage) {
        return read(images.decode(encodedImage));
    }

    public OcrResult read(RgbImage image) {
        long t0 = System.nanoTime();
        DetInput input = detInput.prepare(image);
        FloatTensor map = only(calls.run(models.detector(), Map.of(models.input(), input.tensor())));
        long t1 = System.nanoTime();
        List<TextBox> found = ReadingOrder.sort(boxes.boxes(map, input), settings.lineTolerance());
        long t2 = System.nanoTime();
        List<RgbImage> lines = new ArrayList<>(found.size());
        for (TextBox box : found) {
            lines.add(LineCropper.crop(image, box));
        }
        long t3 = System.nanoTime();
        if (settings.useClassifier() && !lines.isEmpty()) {
            turnUpsideDown(lines);
        }
        long t4 = System.nanoTime();
        List<CtcDecoder.Text> texts = recognise(lines);
        List<OcrLine> out = new ArrayList<>(found.size());
        for (int i = 0; i < found.size(); i++) {
            CtcDecoder.Text t = texts.get(i);
            if (t.score() >= settings.dropScore() && !t.text().isBlank()) {
                out.add(new OcrLine(t.text(), t.score(), found.get(i).xy()));
            }
        }
        long t5 = System.nanoTime();
        return new OcrResult(out, new OcrResult.Timings(t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4));
    }

    /** PaddleOCR's rule: turn a line when the classifier says "180" with more than the threshold. */
    private void turnUpsideDown(List<RgbImage> lines) {
        List<int[]> chunks = new ArrayList<>();
        List<CompletableFuture<Map<String, FloatTensor>>> runs = new ArrayList<>();
        for (int start = 0; start < lines.size(); start += settings.classifierBatch()) {
            int end = Math.min(lines.size(), start + settings.classifierBatch());
            chunks.add(new int[]{start, end});
            runs.add(calls.submit(models.classifier(), Map.of(models.input(), ClsInput.batch(lines.subList(start, end)))));
        }
        for (int k = 0; k < chunks.size(); k++) {
            float[] p = only(join(runs.get(k))).data();
            for (int i = chunks.get(k)[0], row = 0; i < chunks.get(k)[1]; i++, row++) {
                if (p[2 * row + 1] > p[2 * row] && p[2 * row + 1] > settings.classifierThreshold()) {
                    lines.set(i, lines.get(i).rotated180());
                }
            }
        }
    }

    private List<CtcDecoder.Text> recognise(List<RgbImage> lines) {
        List<RecBatches.Batch> batches = RecBatches.of(lines, settings.recognizerBatch());
        List<CompletableFuture<Map<String, FloatTensor>>> runs = new ArrayList<>(batches.size());
        for (RecBatches.Batch b : batches) {
            runs.add(calls.submit(models.recognizer(), Map.of(models.input(), b.tensor())));
        }
        CtcDecoder.Text[] texts = new CtcDecoder.Text[lines.size()];
        for (int k = 0; k < batches.size(); k++) {
            List<CtcDecoder.Text> decoded = decoder.decode(only(join(runs.get(k))));
            int[] members = batches.get(k).lines();
            for (int i = 0; i < members.length; i++) {
                texts[members[i]] = decoded.get(i);
            }
        }
        return List.of(texts);
    }

    private static Map<String, FloatTensor> join(CompletableFuture<Map<String, FloatTensor>> run) {
        try {
            return run.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    private static FloatTensor only(Map<String, FloatTensor> outputs) {
        if (outputs.size() != 1) {
            throw new IllegalStateException("expected one output, got " + outputs.keySet());
        }
        return outputs.values().iterator().next();
    }
}
