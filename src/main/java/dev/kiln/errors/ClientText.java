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

    /** The most dimensions of a client's shape a message shows. */
    static final int SHAPE_DIMENSIONS = 16;

    /**
     * A shape a client sent, as a message shows it: its first dimensions and how many there are. A shape
     * of 3,000 dimensions made a 9 KB gRPC status message, past the client's 8 KB header limit: the
     * caller got RST_STREAM and no reason.
     */
    public static String shape(long[] shape) {
        if (shape == null || shape.length <= SHAPE_DIMENSIONS) {
            return java.util.Arrays.toString(shape);
        }
        StringBuilder text = new StringBuilder("[");
        for (int i = 0; i < SHAPE_DIMENSIONS; i++) {
            text.append(shape[i]).append(", ");
        }
        return text.append("... (").append(shape.length).append(" dimensions)]").toString();
    }
}
