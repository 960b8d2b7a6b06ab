package dev.kiln.ocr;

/**
 * The three models of a PP-OCR pipeline, by their names in the repository, and the name of their
 * (single) image input. Each has one output, which the engine takes whatever its name.
 */
public record OcrModels(String detector, String classifier, String recognizer, String input) {

    /** The demo repository's PP-OCR v4 models. */
    public static OcrModels demo() {
        return new OcrModels("ppocr-v4-det", "ppocr-cls", "ppocr-v4-rec", "x");
    }
}
