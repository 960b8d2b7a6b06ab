package dev.kiln.pipelines;

import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.List;

/** The JSON shapes of {@code POST /v1/ocr}. */
public final class OcrRecords {

    private OcrRecords() {
    }

    /** The JSON form of a request: the image's file, base64 (a {@code data:} URL prefix is allowed), and the pipeline to read it. */
    @RegisterForReflection
    public record OcrRequest(String image, String model) {
    }

    /** One line: its text, the recogniser's confidence (0 to 1), and its four corners clockwise from the top left, in pixels. */
    @RegisterForReflection
    public record Line(String text, double score, float[][] box) {
    }

    /** The lines in reading order, the pipeline that read them, and the time from the request's arrival to its answer. */
    @RegisterForReflection
    public record OcrAnswer(List<Line> lines, String model, double elapsedMs) {
    }
}
