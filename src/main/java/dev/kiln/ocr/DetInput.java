package dev.kiln.ocr;

/**
 * The detector's input for one image: the NCHW tensor and the size of the image it was resized
 * from, to map the boxes found back.
 */
public record DetInput(FloatTensor tensor, int srcWidth, int srcHeight) {

    public int width() {
        return tensor.dim(3);
    }

    public int height() {
        return tensor.dim(2);
    }
}
