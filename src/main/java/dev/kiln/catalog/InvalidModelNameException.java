package dev.kiln.catalog;

import dev.kiln.errors.ClientText;
import dev.kiln.errors.KilnError;

public class InvalidModelNameException extends KilnError {
    public InvalidModelNameException(String name) {
        super(Kind.INVALID, "invalid model name '" + ClientText.printable(name, 80)
                + "': names match [a-z0-9][a-z0-9._-]{0,63} and are not " + ModelName.RESERVED);
    }
}
