package dev.kiln.embeddings;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.kiln.catalog.ModelEntry;
import dev.kiln.errors.KilnError;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Hugging Face tokenizer of each text model, from the {@code tokenizer.json} beside its
 * {@code model.onnx} (Hugging Face's own Rust implementation, through DJL). Opened on first use and
 * opened again when the file changes (a replace), so a model and its vocabulary never disagree.
 */
@ApplicationScoped
public class Tokenizers {

    public static final String FILE = "tokenizer.json";

    /** A tokenizer and the file version it was read from. */
    private record Opened(Path file, long modified, long size, HuggingFaceTokenizer tokenizer) {
    }

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

    private final Map<String, Opened> open = new ConcurrentHashMap<>();

    /** Token ids, type ids and attention mask of a text, with special tokens, cut at {@code maxTokens}. */
    public Encoding encode(ModelEntry model, String text, int maxTokens) {
        return tokenizer(model, maxTokens).encode(text);
    }

    /**
     * As {@link #encode} for many texts at once, in parallel inside the tokenizer (Hugging Face's
     * batch encoding). A text far longer than {@code maxTokens} can use is cut first, at a word
     * boundary well past the words those tokens can come from: tokenizing 10,000 characters to keep
     * 128 tokens cost most of an embeddings request's time. Where the cut text did not fill the
     * tokens (words that normalise to nothing), the whole text is tokenized again.
     */
    public Encoding[] encodeAll(ModelEntry model, List<String> texts, int maxTokens) {
        HuggingFaceTokenizer tokenizer = tokenizer(model, maxTokens);
        List<String> cut = texts.stream().map(t -> maxTokens > 0 ? LongTexts.prefix(t, maxTokens) : t).toList();
        Encoding[] encoded = tokenizer.batchEncode(cut);
        for (int i = 0; i < encoded.length; i++) {
            if (cut.get(i).length() < texts.get(i).length() && !encoded[i].exceedMaxLength()) {
                encoded[i] = tokenizer.encode(texts.get(i));
            }
        }
        return encoded;
    }

    /** The largest sequence the tokenizer file itself declares (its truncation), or 0. */
    public int declaredMaxLength(ModelEntry model) {
        return tokenizer(model, 0).getMaxLength();
    }

    private HuggingFaceTokenizer tokenizer(ModelEntry model, int maxTokens) {
        Path file = model.sideFile(FILE);
        BasicFileAttributes now;
        try {
            now = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            throw KilnError.invalid("model '" + model.name() + "' has no " + FILE + " beside its model.onnx, so it cannot take text"
                    + " (send token ids instead)");
        }
        String key = model.ref() + "@" + maxTokens;
        Opened o = open.get(key);
        if (o != null && o.file().equals(file) && o.modified() == now.lastModifiedTime().toMillis() && o.size() == now.size()) {
            return o.tokenizer();
        }
        Opened fresh = new Opened(file, now.lastModifiedTime().toMillis(), now.size(), read(model, file, maxTokens));
        // The previous tokenizer may still be encoding for a request, so it is not closed here; it is
        // a few MB of native memory, left once per replace of the model's files.
        open.put(key, fresh);
        return fresh.tokenizer();
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

    @PreDestroy
    void close() {
        open.values().forEach(o -> o.tokenizer().close());
        open.clear();
    }
}
