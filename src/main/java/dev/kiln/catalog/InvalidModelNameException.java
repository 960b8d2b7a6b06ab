package dev.kiln.catalog;

import dev.kiln.web.KilnException;

public class InvalidModelNameException extends KilnException {
    public InvalidModelNameException(String name) {
        super(400, "invalid model name '" + printable(name)
                + "': names match [a-z0-9][a-z0-9._-]{0,63}");
    }

    /** Client text reaches messages and logs only in a bounded, printable form. */
    private static String printable(String s) {
        if (s == null) {
            return "";
        }
        String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
