package dev.kiln.catalog;

import dev.kiln.web.ClientText;
import dev.kiln.web.KilnException;

public class InvalidModelNameException extends KilnException {
    public InvalidModelNameException(String name) {
        super(400, "invalid model name '" + ClientText.printable(name, 80)
                + "': names match [a-z0-9][a-z0-9._-]{0,63}");
    }
}
