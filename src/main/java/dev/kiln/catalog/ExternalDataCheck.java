package dev.kiln.catalog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Keeps a model's external data inside the model's own directory. ONNX Runtime 1.23 reads a
 * tensor's {@code external_data} from wherever its {@code location} points, relative to the model
 * file and unconfined: {@code /etc/passwd}, {@code ../../other-model/model.yaml} or a symlink out
 * made a model whose answer was that file. This walks the file's protobuf (without ONNX Runtime) to
 * every tensor that can carry external data: graph initializers and sparse initializers, tensors in
 * node attributes (Constant's value, TENSORS, SPARSE_TENSOR(S)), subgraphs of If/Loop/Scan (GRAPH,
 * GRAPHS) at any depth, model-local functions and training graphs. A location passes only when it is
 * a plain relative path without {@code ..}, and its real path (symlinks followed) is a regular file
 * inside the directory, long enough for the offset and length it names.
 */
public final class ExternalDataCheck {

    /** ONNX Runtime's marker for "offset is a memory address in this process": never from a file. */
    static final String ORT_MEMORY_ADDRESS = "_ORT_MEM_ADDR_";
    /** Subgraphs nested deeper than this are refused (real models nest a few levels). */
    static final int MAX_GRAPH_DEPTH = 32;
    private static final int MAX_LOCATION_BYTES = 4096;
    private static final int DATA_LOCATION_EXTERNAL = 1;
    private static final Pattern DRIVE = Pattern.compile("^[A-Za-z]:.*");
    private static final Pattern DIGITS = Pattern.compile("\\d{1,18}");

    // onnx.proto field numbers
    private static final int MODEL_GRAPH = 7, MODEL_TRAINING_INFO = 20, MODEL_FUNCTIONS = 25;
    private static final int TRAINING_INITIALIZATION = 1, TRAINING_ALGORITHM = 2;
    private static final int GRAPH_NODE = 1, GRAPH_INITIALIZER = 5, GRAPH_SPARSE_INITIALIZER = 15;
    private static final int FUNCTION_NODE = 7, FUNCTION_ATTRIBUTE_PROTO = 11;
    private static final int NODE_ATTRIBUTE = 5;
    private static final int ATTRIBUTE_T = 5, ATTRIBUTE_G = 6, ATTRIBUTE_TENSORS = 10, ATTRIBUTE_GRAPHS = 11,
            ATTRIBUTE_SPARSE_TENSOR = 22, ATTRIBUTE_SPARSE_TENSORS = 23;
    private static final int SPARSE_VALUES = 1, SPARSE_INDICES = 2;
    private static final int TENSOR_NAME = 8, TENSOR_EXTERNAL_DATA = 13, TENSOR_DATA_LOCATION = 14;
    private static final int ENTRY_KEY = 1, ENTRY_VALUE = 2;

    /** One tensor's external-data entries: every location it names, and its offset and length. */
    record Reference(String tensor, List<byte[]> locations, String offset, String length, boolean external) {
    }

    /** Refused: the model reads data from outside its directory, or in a way Kiln cannot vouch for. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    private ExternalDataCheck() {
    }

    /**
     * Null when every external-data reference of {@code modelFile} stays in its directory, else why
     * not. A file protobuf cannot parse at all passes here: ONNX Runtime refuses it and says why.
     */
    public static String problem(Path modelFile) {
        List<Reference> references;
        try (ProtobufFile in = ProtobufFile.open(modelFile)) {
            references = new ArrayList<>();
            model(in, in.length(), references);
        } catch (Refused e) {
            return e.getMessage();
        } catch (IOException e) {
            return null;
        }
        Path dir = modelFile.toAbsolutePath().getParent();
        for (Reference r : references) {
            try {
                confined(dir, r);
            } catch (Refused e) {
                return e.getMessage();
            }
        }
        return null;
    }

    // ---- where tensors sit ----

    private static void model(ProtobufFile in, long end, List<Reference> out) throws IOException, Refused {
        eachMessage(in, end, (field, stop) -> {
            switch (field) {
                case MODEL_GRAPH -> graph(in, stop, out, 0);
                case MODEL_FUNCTIONS -> function(in, stop, out);
                case MODEL_TRAINING_INFO -> training(in, stop, out);
                default -> {
                }
            }
        });
    }

    private static void training(ProtobufFile in, long end, List<Reference> out) throws IOException, Refused {
        eachMessage(in, end, (field, stop) -> {
            if (field == TRAINING_INITIALIZATION || field == TRAINING_ALGORITHM) {
                graph(in, stop, out, 0);
            }
        });
    }

    private static void graph(ProtobufFile in, long end, List<Reference> out, int depth) throws IOException, Refused {
        if (depth > MAX_GRAPH_DEPTH) {
            throw new Refused("model.onnx nests subgraphs more than " + MAX_GRAPH_DEPTH + " deep; Kiln does not load it");
        }
        eachMessage(in, end, (field, stop) -> {
            switch (field) {
                case GRAPH_NODE -> node(in, stop, out, depth, NODE_ATTRIBUTE);
                case GRAPH_INITIALIZER -> out.add(tensor(in, stop));
                case GRAPH_SPARSE_INITIALIZER -> sparse(in, stop, out);
                default -> {
                }
            }
        });
    }

    private static void function(ProtobufFile in, long end, List<Reference> out) throws IOException, Refused {
        eachMessage(in, end, (field, stop) -> {
            if (field == FUNCTION_NODE) {
                node(in, stop, out, 0, NODE_ATTRIBUTE);
            } else if (field == FUNCTION_ATTRIBUTE_PROTO) {
                attribute(in, stop, out, 0);
            }
        });
    }

    private static void node(ProtobufFile in, long end, List<Reference> out, int depth, int attributeField)
            throws IOException, Refused {
        eachMessage(in, end, (field, stop) -> {
            if (field == attributeField) {
                attribute(in, stop, out, depth);
            }
        });
    }

    private static void attribute(ProtobufFile in, long end, List<Reference> out, int depth) throws IOException, Refused {
        eachMessage(in, end, (field, stop) -> {
            switch (field) {
                case ATTRIBUTE_T, ATTRIBUTE_TENSORS -> out.add(tensor(in, stop));
                case ATTRIBUTE_G, ATTRIBUTE_GRAPHS -> graph(in, stop, out, depth + 1);
                case ATTRIBUTE_SPARSE_TENSOR, ATTRIBUTE_SPARSE_TENSORS -> sparse(in, stop, out);
                default -> {
                }
            }
        });
    }

    private static void sparse(ProtobufFile in, long end, List<Reference> out) throws IOException, Refused {
        eachMessage(in, end, (field, stop) -> {
            if (field == SPARSE_VALUES || field == SPARSE_INDICES) {
                out.add(tensor(in, stop));
            }
        });
    }

    /**
     * A TensorProto's external-data entries. Every {@code location} counts, whatever data_location
     * says: protobuf merges repeated occurrences of a message, so the two may come from different places.
     */
    private static Reference tensor(ProtobufFile in, long end) throws IOException {
        String name = "";
        List<byte[]> locations = new ArrayList<>();
        String offset = null, length = null;
        boolean external = false;
        while (in.position() < end) {
            long tag = in.varint();
            int field = ProtobufFile.field(tag);
            if (field == TENSOR_DATA_LOCATION && ProtobufFile.wire(tag) == ProtobufFile.VARINT) {
                external = in.varint() == DATA_LOCATION_EXTERNAL;
            } else if (field == TENSOR_NAME && ProtobufFile.wire(tag) == ProtobufFile.LENGTH_DELIMITED) {
                name = shortText(in);
            } else if (field == TENSOR_EXTERNAL_DATA && ProtobufFile.wire(tag) == ProtobufFile.LENGTH_DELIMITED) {
                long stop = in.endOfMessage();
                String[] entry = entry(in, stop);
                in.seek(stop);
                switch (entry[0]) {
                    case "location" -> locations.add(entry[1].getBytes(StandardCharsets.ISO_8859_1));
                    case "offset" -> offset = entry[1];
                    case "length" -> length = entry[1];
                    default -> {
                    }
                }
            } else {
                in.skipField(tag);
            }
        }
        return new Reference(name, locations, offset, length, external);
    }

    /**
     * Key and value of one StringStringEntryProto (the last of each wins, as protobuf has it). The
     * value is kept as raw bytes (ISO-8859-1 preserves them) so the location is judged as written.
     */
    private static String[] entry(ProtobufFile in, long end) throws IOException {
        String key = "";
        byte[] value = new byte[0];
        while (in.position() < end) {
            long tag = in.varint();
            int field = ProtobufFile.field(tag);
            if (ProtobufFile.wire(tag) == ProtobufFile.LENGTH_DELIMITED && (field == ENTRY_KEY || field == ENTRY_VALUE)) {
                long stop = in.endOfMessage();
                long size = stop - in.position();
                byte[] text = size <= MAX_LOCATION_BYTES ? read(in, size) : null;
                in.seek(stop);
                if (field == ENTRY_KEY) {
                    key = text == null ? "" : new String(text, StandardCharsets.ISO_8859_1);
                } else {
                    value = text != null ? text : new byte[MAX_LOCATION_BYTES + 1];
                }
            } else {
                in.skipField(tag);
            }
        }
        return new String[]{key, new String(value, StandardCharsets.ISO_8859_1)};
    }

    private static byte[] read(ProtobufFile in, long size) throws IOException {
        byte[] b = new byte[(int) size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) in.read();
        }
        return b;
    }

    private static String shortText(ProtobufFile in) throws IOException {
        long stop = in.endOfMessage();
        long size = stop - in.position();
        String text = size <= 200 ? new String(read(in, size), StandardCharsets.UTF_8) : "(a long name)";
        in.seek(stop);
        return text;
    }

    @FunctionalInterface
    private interface FieldReader {
        void read(int field, long stop) throws IOException, Refused;
    }

    /** Calls {@code reader} for each length-delimited field of a message; others are skipped. */
    private static void eachMessage(ProtobufFile in, long end, FieldReader reader) throws IOException, Refused {
        while (in.position() < end) {
            long tag = in.varint();
            if (ProtobufFile.wire(tag) != ProtobufFile.LENGTH_DELIMITED) {
                in.skipField(tag);
                continue;
            }
            long stop = in.endOfMessage();
            reader.read(ProtobufFile.field(tag), stop);
            in.seek(stop);
        }
        if (in.position() != end) {
            throw new IOException("a field runs past the end of its message");
        }
    }

    // ---- what a location may be ----

    private static void confined(Path dir, Reference r) throws Refused {
        if (r.external() && r.locations().isEmpty()) {
            throw new Refused("model.onnx stores tensor '" + r.tensor() + "' as external data without a location");
        }
        for (byte[] raw : r.locations()) {
            String location = text(raw, r);
            Path real = insideDirectory(dir, location, r);
            withinFile(real, location, r);
        }
    }

    private static String text(byte[] raw, Reference r) throws Refused {
        if (raw.length > MAX_LOCATION_BYTES) {
            throw new Refused("model.onnx names external data for tensor '" + r.tensor() + "' with a location longer than "
                    + MAX_LOCATION_BYTES + " bytes");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw new Refused("model.onnx names external data for tensor '" + r.tensor() + "' at a location that is not UTF-8");
        }
    }

    private static Path insideDirectory(Path dir, String location, Reference r) throws Refused {
        String shown = "model.onnx reads external data for tensor '" + r.tensor() + "' from '" + printable(location) + "'";
        if (location.isEmpty() || location.indexOf('\0') >= 0) {
            throw new Refused(shown + ": an empty location or one with a NUL byte is not a file name");
        }
        if (location.contains(ORT_MEMORY_ADDRESS)) {
            throw new Refused(shown + ": ONNX Runtime's in-memory marker is never accepted from a file");
        }
        if (location.startsWith("/") || location.startsWith("\\") || location.indexOf('\\') >= 0 || DRIVE.matcher(location).matches()) {
            throw new Refused(shown + ": external data must be a relative path inside the model's directory");
        }
        for (String segment : location.split("/")) {
            if (segment.equals("..")) {
                throw new Refused(shown + ": '..' is not allowed; external data must stay inside the model's directory");
            }
        }
        try {
            Path home = dir.toRealPath();
            Path real = dir.resolve(location).toRealPath();
            if (!real.startsWith(home) || real.equals(home)) {
                throw new Refused(shown + ", which resolves outside the model's directory (a symbolic link out)");
            }
            if (!Files.isRegularFile(real)) {
                throw new Refused(shown + ", which is not a regular file");
            }
            return real;
        } catch (IOException e) {
            throw new Refused(shown + ", which does not exist in the model's directory");
        }
    }

    private static void withinFile(Path real, String location, Reference r) throws Refused {
        String shown = "model.onnx reads external data for tensor '" + r.tensor() + "' from '" + printable(location) + "'";
        long offset = number(r.offset(), "offset", shown);
        long length = number(r.length(), "length", shown);
        long size;
        try {
            size = Files.size(real);
        } catch (IOException e) {
            throw new Refused(shown + ", which cannot be read");
        }
        if (offset > size || length > size - offset) {
            throw new Refused(shown + " at offset " + offset + " for " + length + " bytes, past the end of that "
                    + size + "-byte file");
        }
    }

    private static long number(String value, String key, String shown) throws Refused {
        if (value == null) {
            return 0;
        }
        if (!DIGITS.matcher(value).matches()) {
            throw new Refused(shown + " with " + key + " '" + printable(value) + "', which is not a whole number of bytes");
        }
        return Long.parseLong(value);
    }

    /** A location as it may appear in a reason: control characters shown as '?', at most 200 characters. */
    private static String printable(String s) {
        String cut = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        StringBuilder b = new StringBuilder(cut.length());
        cut.codePoints().forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return b.toString();
    }
}
