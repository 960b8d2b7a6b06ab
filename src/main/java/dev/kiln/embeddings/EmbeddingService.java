package dev.kiln.embeddings;

import ai.djl.huggingface.tokenizers.Encoding;
import dev.kiln.catalog.ModelEntry;
import dev.kiln.catalog.ModelManifest;
import dev.kiln.embeddings.OpenAiRecords.EmbeddingList;
import dev.kiln.embeddings.OpenAiRecords.Model;
import dev.kiln.embeddings.OpenAiRecords.ModelList;
import dev.kiln.embeddings.OpenAiRecords.Usage;
import dev.kiln.errors.KilnError;
import dev.kiln.inference.InferenceCall;
import dev.kiln.inference.InferenceService;
import dev.kiln.inference.ModelInputs;
import dev.kiln.inference.ModelSignature;
import dev.kiln.inference.SignatureChecks;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelState;
import dev.kiln.registry.ModelStatus;
import dev.kiln.routing.VersionRouter;
import dev.kiln.runtime.OnnxEngine;
import dev.kiln.runtime.OnnxFileSignature;
import dev.kiln.runtime.OutputTensor;
import dev.kiln.runtime.TensorBuffer;
import dev.kiln.runtime.TensorSpec;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * OpenAI-compatible embeddings over the text models: tokenize, run through the same inference path
 * as V2 (the model's queue, dynamic batcher, leases, cold loads, telemetry and metrics), pool.
 * Inputs of one request are grouped by length into runs of several rows where the model allows it,
 * padded with attention mask 0, so each row's vector is the one it gets alone.
 */
@ApplicationScoped
public class EmbeddingService {

    private final ModelRegistry registry;
    private final InferenceService inference;
    private final OnnxEngine engine;
    private final Tokenizers tokenizers;
    private final VersionRouter router;

    public EmbeddingService(ModelRegistry registry, InferenceService inference, OnnxEngine engine, Tokenizers tokenizers,
                            VersionRouter router) {
        this.registry = registry;
        this.router = router;
        this.inference = inference;
        this.engine = engine;
        this.tokenizers = tokenizers;
    }

    /** One input after tokenization: its place in the request and its tokens. */
    private record Row(int index, long[] ids, long[] types) {
        int length() {
            return ids.length;
        }
    }

    public CompletionStage<EmbeddingList> embed(EmbeddingRequest request) {
        return embed(request, () -> false);
    }

    /** As above, for a caller whose going away {@code gone} tells: the texts not yet run then are not run. */
    public CompletionStage<EmbeddingList> embed(EmbeddingRequest request, java.util.function.BooleanSupplier gone) {
        if (request == null) {
            throw OpenAiException.invalid(null, "a JSON body is required: {\"model\": ..., \"input\": ...}");
        }
        boolean base64 = base64(request.encodingFormat());
        TextInputs inputs = TextInputs.of(request.input());
        ModelStatus model = embeddingModel(request.model());
        Embedder embedder = embedder(model);
        if (request.dimensions() != null && (request.dimensions() <= 0 || embedder.hidden() > 0)) {
            checkDimensions(request.dimensions(), embedder.hidden(), embedder.model());
        }
        List<Row> rows = tokenize(model.entry(), embedder, inputs);
        List<List<Row>> groups = groups(rows, embedder.rowsPerRun());
        List<GroupRun> runs = groups.stream().map(g -> new GroupRun(embedder, g, gone)).toList();
        int tokens = rows.stream().mapToInt(Row::length).sum();
        // One unit of work in the model's queue, however many runs its texts take: a request Kiln
        // accepted is never refused for its own size.
        return inference.inferTogether(embedder.model(), model.version(), runs).thenApply(answers -> {
            float[][] vectors = new float[rows.size()][];
            for (int g = 0; g < groups.size(); g++) {
                for (int i = 0; i < groups.get(g).size(); i++) {
                    vectors[groups.get(g).get(i).index()] = answers.get(g)[i];
                }
            }
            checkDimensions(request.dimensions(), vectors[0].length, model.entry().name());
            List<OpenAiRecords.Embedding> data = new ArrayList<>(vectors.length);
            for (int i = 0; i < vectors.length; i++) {
                data.add(new OpenAiRecords.Embedding("embedding", i, base64 ? encode(vectors[i]) : vectors[i]));
            }
            return new EmbeddingList("list", data, model.entry().name(), new Usage(tokens, tokens));
        });
    }

    /**
     * Opens the model's tokenizer as its embeddings requests will use it (the same maximum length)
     * and tokenizes a short text: the first request then finds DJL's native library loaded and the
     * vocabulary read, about 0.14 s it otherwise pays. Runs no model and counts as no use; a model
     * that does not declare {@code embedding}, or whose tokenizer.json is not a small regular file
     * ({@link Tokenizers#worthOpeningAhead}), is left alone. Returns whether a tokenizer was opened.
     */
    public boolean prepareTokenizer(ModelStatus model) {
        if (model.entry().manifest().embedding() == null || !tokenizers.worthOpeningAhead(model.entry())) {
            return false;
        }
        tokenizers.encodeAll(model.entry(), List.of("Kiln opens the tokenizer before the first request."), embedder(model).maxTokens());
        return true;
    }

    /** The enabled models that can embed text, as OpenAI's model list. */
    public ModelList models() {
        List<Model> data = registry.models().stream().map(router::primary)
                .filter(m -> m.entry().manifest().embedding() != null && m.state() != ModelState.DISABLED)
                .map(m -> new Model(m.entry().name(), "model", m.entry().modifiedMillis() / 1000, "kiln")).toList();
        return new ModelList("list", data);
    }

    private static boolean base64(String format) {
        if (format == null || format.equals("float")) {
            return false;
        }
        if (format.equals("base64")) {
            return true;
        }
        throw OpenAiException.invalid("encoding_format", "encoding_format must be 'float' or 'base64', not '" + format + "'");
    }

    private ModelStatus embeddingModel(String name) {
        if (name == null || name.isBlank()) {
            throw OpenAiException.invalid("model", "'model' is required: one of GET /v1/models");
        }
        if (registry.model(name).isEmpty()) {
            throw new OpenAiException(KilnError.Kind.NOT_FOUND,
                    "The model '" + name + "' does not exist (GET /v1/models lists the models that embed)", "model", "model_not_found");
        }
        // The version the model's default route picks for this request: the texts are tokenized for it and run on it.
        int version = router.route(name).version();
        ModelStatus model = registry.find(name, version).orElseThrow(() -> new OpenAiException(KilnError.Kind.NOT_FOUND,
                "The model '" + name + "' does not exist (GET /v1/models lists the models that embed)", "model", "model_not_found"));
        if (model.entry().manifest().embedding() == null) {
            throw OpenAiException.invalid("model", "model '" + name + "' does not embed text: its model.yaml has no embedding block"
                    + " (GET /v1/models lists the models that do)");
        }
        return model;
    }

    private Embedder embedder(ModelStatus model) {
        ModelEntry entry = model.entry();
        OnnxFileSignature.Signature s;
        try {
            s = engine.signature(entry);
        } catch (IOException e) {
            throw KilnError.unprocessable("model '" + entry.name() + "' cannot be read: " + e.getMessage());
        }
        ModelManifest.Embedding e = entry.manifest().embedding();
        int maxTokens = e.maxTokens() != null && e.maxTokens() > 0 ? e.maxTokens() : tokenizers.declaredMaxLength(entry);
        return Embedder.of(entry.name(), e, s.inputs(), s.outputs(), maxTokens, inference.rowsPerRun(model));
    }

    private List<Row> tokenize(ModelEntry entry, Embedder embedder, TextInputs inputs) {
        int max = embedder.maxTokens();
        List<TextInputs.Item> items = inputs.items();
        List<String> texts = items.stream().filter(i -> i.text() != null).map(TextInputs.Item::text).toList();
        Encoding[] encoded = texts.isEmpty() ? new Encoding[0] : tokenizers.encodeAll(entry, texts, max);
        List<Row> rows = new ArrayList<>(items.size());
        int next = 0;
        for (int i = 0; i < items.size(); i++) {
            TextInputs.Item item = items.get(i);
            if (item.text() != null) {
                Encoding enc = encoded[next++];
                rows.add(new Row(i, enc.getIds(), enc.getTypeIds()));
            } else {
                long[] ids = max > 0 && item.tokens().length > max ? java.util.Arrays.copyOf(item.tokens(), max) : item.tokens();
                rows.add(new Row(i, ids, new long[ids.length]));
            }
        }
        return rows;
    }

    /** Rows sorted by length, cut into runs of at most {@code perRun}: neighbours in length pad little. */
    static List<List<Row>> groups(List<Row> rows, int perRun) {
        List<Row> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparingInt(Row::length));
        List<List<Row>> groups = new ArrayList<>();
        for (int from = 0; from < sorted.size(); from += perRun) {
            groups.add(sorted.subList(from, Math.min(sorted.size(), from + perRun)));
        }
        return groups;
    }

    /** One run of a group's rows, padded to the longest with attention mask 0; one vector per row. */
    private static final class GroupRun implements InferenceCall<float[][]> {
        private final Embedder e;
        private final List<Row> group;
        private final java.util.function.BooleanSupplier gone;

        GroupRun(Embedder e, List<Row> group, java.util.function.BooleanSupplier gone) {
            this.e = e;
            this.group = group;
            this.gone = gone;
        }

        @Override
        public boolean abandoned() {
            return gone.getAsBoolean();
        }

        @Override
        public ModelInputs decode(ModelSignature model) {
            int rows = group.size();
            int positions = group.stream().mapToInt(Row::length).max().orElse(0);
            long[] shape = {rows, positions};
            java.util.Map<String, TensorBuffer> byName = new java.util.LinkedHashMap<>();
            for (String name : e.inputs()) {
                TensorSpec spec = SignatureChecks.input(model, name, byName.keySet());
                SignatureChecks.datatype(spec, "INT64");
                SignatureChecks.shape(model, spec, shape);
                ByteBuffer data = TensorBuffer.allocate(dev.kiln.runtime.Datatype.INT64, (long) rows * positions);
                for (Row r : group) {
                    for (int p = 0; p < positions; p++) {
                        boolean real = p < r.length();
                        data.putLong(switch (name) {
                            case Embedder.IDS -> real ? r.ids()[p] : 0;
                            case Embedder.MASK -> real ? 1 : 0;
                            default -> real ? r.types()[p] : 0;
                        });
                    }
                }
                byName.put(name, TensorBuffer.ofNative(name, dev.kiln.runtime.Datatype.INT64, shape, data.flip()));
            }
            return new ModelInputs(SignatureChecks.ordered(model, byName), java.util.Set.of(e.output()));
        }

        @Override
        public float[][] encode(List<OutputTensor> outputs) {
            OutputTensor out = outputs.get(0);
            long[] shape = out.shape();
            int hidden = (int) shape[shape.length - 1];
            FloatBuffer values = out.nativeOrder().asFloatBuffer();
            float[][] v = new float[group.size()][];
            for (int i = 0; i < group.size(); i++) {
                v[i] = e.tokenStates()
                        ? e.pooling().pool(values, i, (int) shape[1], hidden, group.get(i).length(), e.normalize())
                        : Pooling.row(values, i, hidden, e.normalize());
            }
            return v;
        }
    }

    private static void checkDimensions(Integer asked, int has, String model) {
        if (asked != null && asked != has) {
            throw OpenAiException.invalid("dimensions", "model '" + model + "' makes vectors of " + has
                    + " dimensions and cannot shorten them; leave 'dimensions' out or send " + has);
        }
    }

    private static String encode(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return Base64.getEncoder().encodeToString(b.array());
    }
}
