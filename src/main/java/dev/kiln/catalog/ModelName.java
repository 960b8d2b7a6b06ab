package dev.kiln.catalog;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * The one gate between a client's string and a path: a name that passes cannot climb out of the
 * repository (no slash, no leading dot).
 */
public final class ModelName {

    private static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    /** Names a route already takes: GET /v2/models/stats is every model's statistics, not a model's metadata. */
    static final Set<String> RESERVED = Set.of("stats");

    private ModelName() {
    }

    public static boolean isValid(String name) {
        return name != null && VALID.matcher(name).matches() && !RESERVED.contains(name);
    }

    /** Returns the name unchanged, or throws {@link InvalidModelNameException} naming the rule. */
    public static String require(String name) {
        if (!isValid(name)) {
            throw new InvalidModelNameException(name);
        }
        return name;
    }
}
