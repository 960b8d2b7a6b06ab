package dev.kiln.ocr;

/**
 * The knobs of PP-OCR, with PaddleOCR's and RapidOCR's values as defaults (where those two differ,
 * the choice is noted).
 *
 * @param maxPixels           largest image (width × height) decoded
 * @param limitSideLen        detector input: the side that {@code limitType} bounds (PaddleOCR: 960, max)
 * @param limitType           which side is bounded
 * @param threshold           a map pixel is text above this probability (0.3)
 * @param boxThreshold        least mean probability of a box (RapidOCR 0.5, PaddleOCR 0.6)
 * @param unclipRatio         how much a box grows (RapidOCR 1.6, PaddleOCR 1.5)
 * @param minSize             shortest box side on the map, in pixels (3)
 * @param dilate              grow the thresholded map by a pixel first (RapidOCR does; PaddleOCR's use_dilation, off there)
 * @param maxCandidates       at most this many regions per image (1000)
 * @param useClassifier       run the 0/180 degree classifier on each line
 * @param classifierThreshold a line is turned when the classifier says 180 with more than this (0.9);
 *                            when neither answer reaches it, the line is read both ways
 * @param classifierBatch     lines per classifier call
 * @param recognizerBatch     lines per recogniser call (sorted by aspect ratio first). 1 on CPU: measured with
 *                            bench/ocr.sh on 2 cores, CPU time per image grew with the batch (302, 314, 420, 490 ms
 *                            for 1, 2, 4, 8 lines; padding to the widest line, and no gain from batching even
 *                            at equal widths), while single lines submitted at once keep every worker busy.
 *                            Raise it on a GPU.
 * @param dropScore           lines read with a lower mean probability are left out (0.5)
 * @param lineTolerance       boxes whose tops are closer than this (pixels) are one visual line (10)
 */
public record OcrSettings(long maxPixels, int limitSideLen, DetPreprocess.LimitType limitType, float threshold,
                          float boxThreshold, float unclipRatio, int minSize, boolean dilate, int maxCandidates,
                          boolean useClassifier, float classifierThreshold, int classifierBatch, int recognizerBatch,
                          float dropScore, float lineTolerance) {

    public static OcrSettings defaults() {
        return new OcrSettings(20_000_000L, 960, DetPreprocess.LimitType.MAX, 0.3f, 0.5f, 1.6f, 3, true, 1000, true, 0.9f,
                16, 1, 0.5f, 10f);
    }

    /** DB post-processing with these thresholds. */
    public DbPostProcess boxes() {
        return new DbPostProcess(threshold, boxThreshold, unclipRatio, minSize, maxCandidates, dilate);
    }

    public OcrSettings withMaxPixels(long pixels) {
        return new OcrSettings(pixels, limitSideLen, limitType, threshold, boxThreshold, unclipRatio, minSize, dilate,
                maxCandidates, useClassifier, classifierThreshold, classifierBatch, recognizerBatch, dropScore, lineTolerance);
    }

    public OcrSettings withLimit(int sideLen, DetPreprocess.LimitType type) {
        return new OcrSettings(maxPixels, sideLen, type, threshold, boxThreshold, unclipRatio, minSize, dilate,
                maxCandidates, useClassifier, classifierThreshold, classifierBatch, recognizerBatch, dropScore, lineTolerance);
    }

    public OcrSettings withBoxes(float unclip, boolean dilation) {
        return new OcrSettings(maxPixels, limitSideLen, limitType, threshold, boxThreshold, unclip, minSize, dilation,
                maxCandidates, useClassifier, classifierThreshold, classifierBatch, recognizerBatch, dropScore, lineTolerance);
    }

    public OcrSettings withClassifier(boolean use) {
        return new OcrSettings(maxPixels, limitSideLen, limitType, threshold, boxThreshold, unclipRatio, minSize, dilate,
                maxCandidates, use, classifierThreshold, classifierBatch, recognizerBatch, dropScore, lineTolerance);
    }

    public OcrSettings withReading(float classifierThreshold, float dropScore) {
        return new OcrSettings(maxPixels, limitSideLen, limitType, threshold, boxThreshold, unclipRatio, minSize, dilate,
                maxCandidates, useClassifier, classifierThreshold, classifierBatch, recognizerBatch, dropScore, lineTolerance);
    }

    public OcrSettings withBatches(int classifier, int recognizer) {
        return new OcrSettings(maxPixels, limitSideLen, limitType, threshold, boxThreshold, unclipRatio, minSize, dilate,
                maxCandidates, useClassifier, classifierThreshold, classifier, recognizer, dropScore, lineTolerance);
    }
}
