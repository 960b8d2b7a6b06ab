package dev.kiln.ocr;

import java.util.List;

/**
 * The lines of an image in reading order, and where the time went (nanoseconds): detection
 * (resize, normalise, model), boxes (DB post-processing), crops, classifier (input, model, turns),
 * recogniser (inputs, model, decoding).
 */
public record OcrResult(List<OcrLine> lines, Timings timings) {

    public record Timings(long detection, long boxes, long crops, long classifier, long recognizer) {

        public long total() {
            return detection + boxes + crops + classifier + recognizer;
        }
    }
}
