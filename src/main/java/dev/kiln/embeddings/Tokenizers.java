package dev.kiln.embeddings;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.kiln.catalog.ModelEntry;
import dev.kiln.catalog.ModelRef;
import dev.kiln.errors.KilnError;
import dev.kiln.registry.ModelLifecycleEvent;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The Hugging Face tokenizer of each text model, from the {@code tokenizer.json} beside its
 * {@code model.onnx} (Hugging Face's own Rust implementation, through DJL). Opened on first use and
 * opened again when the file changes (a replace), so a model and its vocabulary never disagree; the
 * replaced one is closed when the last request encoding with it is done ({@link OpenedTokenizer}).
 */
@ApplicationScoped
public class Tokenizers {

    public static final String FILE = "tokenizer.json";
    /**
     * The largest tokenizer.json Kiln reads: DJL reads the whole file into the heap before parsing it.
     * Real ones are 0.5-35 MB (Gemma's, the largest we know, 33 MB).
     */
    public static final long MAX_BYTES = 64L * 1024 * 1024;

    static {
        // A model server never calls home: DJL pings its authors from EC2 unless told not to.
        setIfAbsent("OPT_OUT_TRACKING", "true");
        // DJL unpacks its native library under ~/.djl.ai; in containers the home is often read-only, /tmp is not.
        setIfAbsent("DJL_CACHE_DIR", Path.of(System.getProperty("java.io.tmpdir"), "kiln-djl").toString());
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getenv(key) == null && System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /** Characters one tokenizer call reads at most (a single longer text excepted): about 35 MB of its memory for CJK text. */
    static final int PART_CHARS = 65_536;

    private final Map<String, OpenedTokenizer> open = new ConcurrentHashMap<>();
    /** The opening under way, per model and length: the callers that find one take its outcome. */
    private final Map<String, CompletableFuture<OpenedTokenizer>> opening = new ConcurrentHashMap<>();

    /** Token ids, type ids and attention mask of a text, with special tokens, cut at {@code maxTokens}. */
    public Encoding encode(ModelEntry model, String text, int maxTokens) {
        return withTokenizer(model, maxTokens, t -> t.encode(text));
    }

    /**
     * As {@link #encode} for many texts at once, in parallel inside the tokenizer (Hugging Face's
     * batch encoding). A text far longer than {@code maxTokens} can use is cut first, at a word
     * boundary well past the words those tokens can come from: tokenizing 10,000 characters to keep
     * 128 tokens cost most of an embeddings request's time. Where the cut text did not fill the
     * tokens (words that normalise to nothing), the whole text is tokenized again.
     */
    public Encoding[] encodeAll(ModelEntry model, List<String> texts, int maxTokens) {
        return withTokenizer(model, maxTokens, tokenizer -> {
            List<String> cut = texts.stream().map(t -> maxTokens > 0 ? LongTexts.prefix(t, maxTokens) : t).toList();
            Encoding[] encoded = inParts(tokenizer, cut);
            for (int i = 0; i < encoded.length; i++) {
                if (cut.get(i).length() < texts.get(i).length() && !encoded[i].exceedMaxLength()) {
                    String capped = LongTexts.capped(texts.get(i), maxTokens);
                    if (capped.length() > cut.get(i).length()) {
                        encoded[i] = tokenizer.encode(capped);
                    }
                }
            }
            return encoded;
        });
    }

    /**
     * The texts tokenized in parts of at most {@link #PART_CHARS} characters (a longer text alone): the
     * tokenizer's memory grows with what one call reads (2048 texts of 400 words each, eight requests at
     * once, took a 3 GiB pod to 2.5 GB). Padding is off, so the parts' encodings are those of one call.
     */
    private static Encoding[] inParts(HuggingFaceTokenizer tokenizer, List<String> texts) {
        Encoding[] encoded = new Encoding[texts.size()];
        int from = 0;
        while (from < texts.size()) {
            int to = from + 1;
            long chars = texts.get(from).length();
            while (to < texts.size() && chars + texts.get(to).length() <= PART_CHARS) {
                chars += texts.get(to++).length();
            }
            Encoding[] part = tokenizer.batchEncode(texts.subList(from, to));
            System.arraycopy(part, 0, encoded, from, part.length);
            from = to;
        }
        return encoded;
    }

    /** The largest sequence the tokenizer file itself declares (its truncation), or 0. */
    public int declaredMaxLength(ModelEntry model) {
        return withTokenizer(model, 0, HuggingFaceTokenizer::getMaxLength);
    }

    /** {@code use} of the current tokenizer, held while it runs: a replace meanwhile cannot close it under it. */
    private <T> T withTokenizer(ModelEntry model, int maxTokens, Function<HuggingFaceTokenizer, T> use) {
        OpenedTokenizer t = held(model, maxTokens);
        try {
            return use.apply(t.tokenizer());
        } finally {
            t.release();
        }
    }

    /** The current tokenizer, held for the caller, who releases it when done with it. */
    OpenedTokenizer held(ModelEntry model, int maxTokens) {
        while (true) {
            OpenedTokenizer t = opened(model, maxTokens);
            if (t.hold()) {
                return t;
            }
            // replaced and closed between the lookup and the hold: the new one is in the table now
        }
    }

    /** The current tokenizer for a model and length (not held), opened by one caller while the others wait for it. */
    OpenedTokenizer opened(ModelEntry model, int maxTokens) {
        Path file = model.sideFile(FILE);
        String key = model.ref() + "@" + maxTokens;
        while (true) {
            BasicFileAttributes now = attributes(model, file);
            OpenedTokenizer o = current(key, file, now);
            if (o != null) {
                return o;
            }
            // One opening per model and length: sixteen first requests at once read a 60 MB file once, not
            // sixteen times into the heap, and leave no tokenizer behind that nothing would ever close. Its
            // failure is shared too: re-read by each waiter in turn, 48 requests to a broken 28 MB file took
            // 21 s and 230 held every worker thread, so the other models' requests waited.
            CompletableFuture<OpenedTokenizer> mine = new CompletableFuture<>();
            CompletableFuture<OpenedTokenizer> underWay = opening.putIfAbsent(key, mine);
            if (underWay == null) {
                return openFor(mine, model, file, key, maxTokens);
            }
            OpenedTokenizer theirs = sharedOutcome(underWay);
            if (theirs != null && theirs.readFrom(file, now)) {
                return theirs;
            }
            // that opening ran out of heap (it may fit now that its reading is freed), or read the file
            // before the version this caller saw: round again
        }
    }

    private OpenedTokenizer openFor(CompletableFuture<OpenedTokenizer> mine, ModelEntry model, Path file, String key, int maxTokens) {
        try {
            mine.complete(openIfChanged(model, file, key, maxTokens));
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
        } finally {
            opening.remove(key, mine);
        }
        return outcome(mine);
    }

    private OpenedTokenizer openIfChanged(ModelEntry model, Path file, String key, int maxTokens) {
        BasicFileAttributes now = attributes(model, file);
        OpenedTokenizer o = current(key, file, now);
        if (o != null) {
            return o;
        }
        refuseUnreadable(model, file, now);
        OpenedTokenizer fresh = new OpenedTokenizer(file, now, read(model, file, maxTokens));
        OpenedTokenizer previous = open.put(key, fresh);
        if (previous != null) {
            // closed now, or by the last request still encoding with it
            previous.release();
        }
        return fresh;
    }

    /** The tokenizer in the table for {@code key} when it was read from this version of the file, else null. */
    private OpenedTokenizer current(String key, Path file, BasicFileAttributes now) {
        OpenedTokenizer o = open.get(key);
        return o != null && o.readFrom(file, now) ? o : null;
    }

    /** As {@link #outcome}, but null where the opening failed with an Error (out of heap): not the file's fault. */
    private static OpenedTokenizer sharedOutcome(CompletableFuture<OpenedTokenizer> opening) {
        try {
            return outcome(opening);
        } catch (Error e) {
            return null;
        }
    }

    /** What the opening gave, or what it threw (a 422 for a file that cannot be read) as it was thrown. */
    private static OpenedTokenizer outcome(CompletableFuture<OpenedTokenizer> opening) {
        try {
            return opening.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    private static BasicFileAttributes attributes(ModelEntry model, Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            throw KilnError.invalid("model '" + model.name() + "' has no " + FILE + " beside its model.onnx, so it cannot take text"
                    + " (send token ids instead)");
        }
    }

    /**
     * True when the model's tokenizer.json is one to open before it is asked for: one its requests
     * would read ({@link #problem} finds none). Anything else is left to the first request, which says
     * what is wrong with it.
     */
    public boolean worthOpeningAhead(ModelEntry model) {
        Path file = model.sideFile(FILE);
        try {
            return problem(file, Files.readAttributes(file, BasicFileAttributes.class)) == null;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The largest tokenizer.json read with this much Java heap: DJL reads the file whole and makes a
     * string of it, about four times its size while it parses, so at most an eighth of the heap (a
     * 28 MB file ran a 192 MB heap out) and never more than {@link #MAX_BYTES}.
     */
    static long readLimit(long maxHeap) {
        return Math.min(MAX_BYTES, maxHeap / 8);
    }

    /**
     * A FIFO would block the reading thread for good, a link out would parse another file (and put its
     * first bytes in an error message), and a huge file would take the heap: each is a 422 with its reason.
     */
    private static void refuseUnreadable(ModelEntry model, Path file, BasicFileAttributes now) {
        String problem = problem(file, now);
        if (problem != null) {
            throw KilnError.unprocessable("the " + FILE + " of model '" + model.name() + "' " + problem + "; nothing of it was read");
        }
    }

    /** Why the file is not one Kiln reads, or null. */
    private static String problem(Path file, BasicFileAttributes now) {
        if (!now.isRegularFile()) {
            return "is not a regular file";
        }
        if (now.size() > MAX_BYTES) {
            return "is " + now.size() + " bytes, more than the " + MAX_BYTES / (1024 * 1024) + " MiB Kiln reads";
        }
        long heap = Runtime.getRuntime().maxMemory();
        if (now.size() > readLimit(heap)) {
            return "is " + now.size() + " bytes, more than the eighth of the Java heap (" + heap / (1024 * 1024)
                    + " MiB) Kiln reads it into: give Kiln more heap (-Xmx or -XX:MaxRAMPercentage, e.g. in JAVA_TOOL_OPTIONS)";
        }
        try {
            return file.toRealPath().startsWith(file.toAbsolutePath().getParent().toRealPath())
                    ? null : "is a link to a file outside the model's directory";
        } catch (IOException e) {
            return "cannot be resolved: " + e.getClass().getSimpleName();
        }
    }

    private static HuggingFaceTokenizer read(ModelEntry model, Path file, int maxTokens) {
        try {
            // padding off: each text keeps its own length; batches are padded by the caller with mask 0
            Map<String, String> options = maxTokens > 0
                    ? Map.of("padding", "false", "truncation", "true", "maxLength", Integer.toString(maxTokens))
                    : Map.of("padding", "false");
            return HuggingFaceTokenizer.newInstance(file, options);
        } catch (IOException | RuntimeException e) {
            throw KilnError.unprocessable("the " + FILE + " of model '" + model.name() + "' cannot be read: " + e.getMessage());
        }
    }

    /**
     * A removed model's tokenizers (each version's, each length's) close now, or when the request still
     * encoding with one is done; an uninstall or a deleted version would otherwise keep them for good.
     */
    void onLifecycle(@Observes ModelLifecycleEvent event) {
        if (event.kind() == ModelLifecycleEvent.Kind.REMOVED) {
            String prefix = new ModelRef(event.model(), event.version()) + "@";
            open.keySet().stream().filter(k -> k.startsWith(prefix)).toList().forEach(this::drop);
        }
    }

    /** Each tokenizer closes now, or when the request still encoding with it is done. */
    @PreDestroy
    void close() {
        List.copyOf(open.keySet()).forEach(this::drop);
    }

    /** Out of the table and its hold released, by whoever takes it out: a reopening's put or this, never both. */
    private void drop(String key) {
        OpenedTokenizer t = open.remove(key);
        if (t != null) {
            t.release();
        }
    }
}
