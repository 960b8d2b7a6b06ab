package dev.kiln.errors;

/** Text that came from a client, made safe to put in a message or a log line: printable and bounded. */
public final class ClientText {

    private ClientText() {
    }

    public static String printable(String s, int max) {
        if (s == null) {
            return "";
        }
        String cut = s.length() > max ? s.substring(0, max) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
