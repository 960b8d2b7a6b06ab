package dev.kiln.ocr;

/**
 * PaddleOCR's DetResizeForTest (type 0) and NormalizeImage: scale so that the chosen side respects
 * the limit, round both sides to multiples of 32 (the detector halves its input five times), resize
 * bilinearly and normalise into a [1, 3, H, W] tensor.
 */
public final class DetPreprocess {

    /** Which side {@code limitSideLen} bounds. */
    public enum LimitType {
        /** The longer side is at most the limit (shrinks large images, never enlarges). PaddleOCR's default. */
        MAX,
        /** The shorter side is at least the limit (enlarges small images, never shrinks). */
        MIN
    }

    private static final PlaneWriter NORMALISE = PlaneWriter.detection();

    private final int limitSideLen;
    private final LimitType limitType;

    public DetPreprocess(int limitSideLen, LimitType limitType) {
        this.limitSideLen = limitSideLen;
        this.limitType = limitType;
    }

    public DetInput prepare(RgbImage image) {
        int[] size = targetSize(image.width(), image.height());
        RgbImage resized = Bilinear.resize(image, size[0], size[1]);
        FloatTensor tensor = FloatTensor.allocate(1, 3, size[1], size[0]);
        NORMALISE.write(resized, tensor, 0, size[1], size[0]);
        return new DetInput(tensor, image.width(), image.height());
    }

    /** {width, height} of the detector's input for an image of this size. */
    public int[] targetSize(int width, int height) {
        double ratio = 1;
        if (limitType == LimitType.MAX && Math.max(width, height) > limitSideLen) {
            ratio = (double) limitSideLen / Math.max(width, height);
        } else if (limitType == LimitType.MIN && Math.min(width, height) < limitSideLen) {
            ratio = (double) limitSideLen / Math.min(width, height);
        }
        return new int[]{multipleOf32((int) (width * ratio)), multipleOf32((int) (height * ratio))};
    }

    /** Python's round (half to even), as PaddleOCR rounds; never below 32. */
    private static int multipleOf32(int side) {
        return Math.max((int) Math.rint(side / 32.0) * 32, 32);
    }
}
