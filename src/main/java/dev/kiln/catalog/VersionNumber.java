package dev.kiln.catalog;

import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * A model version's number: a positive whole number written without leading zeros, as the name of
 * its directory ({@code <model>/2/model.onnx}) and in URLs ({@code /v2/models/m/versions/2}). Like
 * {@link ModelName}, the gate between a client's string and a path.
 */
public final class VersionNumber {

    public static final int MAX = 999_999_999;
    private static final Pattern DIGITS = Pattern.compile("[1-9][0-9]{0,8}");

    private VersionNumber() {
    }

    public static boolean isValid(int version) {
        return version >= 1 && version <= MAX;
    }

    /** The number a directory name or a URL segment spells, if it spells one. */
    public static OptionalInt parse(String text) {
        return text != null && DIGITS.matcher(text).matches() ? OptionalInt.of(Integer.parseInt(text)) : OptionalInt.empty();
    }
}
