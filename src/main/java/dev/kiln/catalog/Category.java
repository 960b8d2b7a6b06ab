package dev.kiln.catalog;

import java.util.List;
import java.util.regex.Pattern;

/** Model categories. The seed's four are always reported; manifests may add their own. */
public final class Category {

    public static final List<String> STANDARD = List.of("text", "image", "voice", "video");
    /** Category of a model whose directory has no manifest saying otherwise. */
    public static final String UNSPECIFIED = "other";

    private static final Pattern VALID = Pattern.compile("[a-z][a-z0-9_-]{0,31}");

    private Category() {
    }

    public static boolean isValid(String category) {
        return category != null && VALID.matcher(category).matches();
    }
}
