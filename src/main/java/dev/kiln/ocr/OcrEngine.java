package dev.kiln.ocr;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * PP-OCR on one image, in one process: detect (one model call), turn the map into boxes in reading
 * order, then read the lines ({@link LineReader}). Kiln serves the same steps as the {@code ppocr}
 * pipeline (pipelines/); this composition is what the OCR tests and bench/ocr.sh run in-process.
 * Each step after a model call runs on the thread that completes the call. Thread-safe.
 */
public final class OcrEngine {

    private final ModelCalls calls;
    private final OcrModels models;
    private final OcrSettings settings;
    private final ImageDecoder images;
    private final DetPreprocess detInput;
    private final DbPostProcess boxes;
    private final LineReader lines;

    public OcrEngine(ModelCalls calls, OcrModels models, OcrSettings settings, CtcDecoder decoder) {
        this.calls = calls;
        this.models = models;
        this.settings = settings;
        this.images = new ImageDecoder(settings.maxPixels());
        this.detInput = new DetPreprocess(settings.limitSideLen(), settings.limitType());
        this.boxes = settings.boxes();
        this.lines = new LineReader(calls, settings.useClassifier() ? models.classifier() : null, models.input(),
                models.recognizer(), models.input(), settings, decoder);
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
        return calls.submit(models.detector(), Map.of(models.input(), input.tensor())).thenCompose(map -> {
            long detected = System.nanoTime();
            List<TextBox> found = ReadingOrder.sort(boxes.boxes(only(map), input), settings.lineTolerance());
            long boxed = System.nanoTime();
            return lines.read(image, found).thenApply(r -> new OcrResult(r.lines(), new OcrResult.Timings(detected - start,
                    boxed - detected, r.crops(), r.classifier(), r.recognizer())));
        });
    }

    private static FloatTensor only(Map<String, FloatTensor> outputs) {
        if (outputs.size() != 1) {
            throw new IllegalStateException("expected one output, got " + outputs.keySet());
        }
        return outputs.values().iterator().next();
    }
}
