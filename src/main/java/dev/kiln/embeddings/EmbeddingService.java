package dev.kiln.embeddings;

import ai.djl.huggingface.tokenizers.Encoding;
import dev.kiln.catalog.ModelEntry;
import dev.kiln.catalog.ModelManifest;
import dev.kiln.embeddings.OpenAiViews.EmbeddingList;
import dev.kiln.embeddings.OpenAiViews.Model;
import dev.kiln.embeddings.OpenAiViews.ModelList;
import dev.kiln.embeddings.OpenAiViews.Usage;
import dev.kiln.errors.KilnError;
import dev.kiln.inference.BinaryInferRequest;
import dev.kiln.inference.InferenceService;
import dev.kiln.inference.V2Answer;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelState;
import dev.kiln.registry.ModelStatus;
import dev.kiln.runtime.OnnxEngine;
import dev.kiln.runtime.OnnxFileSignature;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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

    public EmbeddingService(ModelRegistry registry, InferenceService inference, OnnxEngine engine, Tokenizers tokenizers) {
        this.registry = registry;
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
        float[][] vectors = new float[rows.size()][];
        List<CompletableFuture<Void>> runs = new ArrayList<>();
        for (List<Row> group : groups(rows, embedder.rowsPerRun())) {
            runs.add(run(embedder, group).thenAccept(v -> {
                for (int i = 0; i < group.size(); i++) {
                    vectors[group.get(i).index()] = v[i];
                }
            }).toCompletableFuture());
        }
        int tokens = rows.stream().mapToInt(Row::length).sum();
        return CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).thenApply(done -> {
            checkDimensions(request.dimensions(), vectors[0].length, model.entry().name());
            List<OpenAiViews.Embedding> data = new ArrayList<>(vectors.length);
            for (int i = 0; i < vectors.length; i++) {
                data.add(new OpenAiViews.Embedding("embedding", i, base64 ? encode(vectors[i]) : vectors[i]));
            }
            return new EmbeddingList("list", data, model.entry().name(), new Usage(tokens, tokens));
        });
    }

    /** The enabled models that can embed text, as OpenAI's model list. */
    public ModelList models() {
        List<Model> data = registry.list().stream()
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
        ModelStatus model = registry.find(name).orElseThrow(() -> new OpenAiException(KilnError.Kind.NOT_FOUND,
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
        List<Row> rows = new ArrayList<>(inputs.items().size());
        int max = embedder.maxTokens();
        for (int i = 0; i < inputs.items().size(); i++) {
            TextInputs.Item item = inputs.items().get(i);
            if (item.text() != null) {
                Encoding enc = tokenizers.encode(entry, item.text(), max);
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

    /** One run of the group's rows, padded to the longest, through the model's queue; one vector per row. */
    private CompletionStage<float[][]> run(Embedder e, List<Row> group) {
        int rows = group.size();
        int positions = group.stream().mapToInt(Row::length).max().orElse(0);
        BinaryInferRequest request = new BinaryInferRequest();
        for (String name : e.inputs()) {
            ByteBuffer data = ByteBuffer.allocate(rows * positions * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
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
            request.input(name, "INT64", List.of((long) rows, (long) positions), data.array());
        }
        request.output(e.output());
        BinaryInferRequest.Encoded encoded = request.encode();
        return inference.infer(e.model(), encoded.body(), encoded.headerLength()).thenApply(answer -> vectors(e, group, answer));
    }

    private static float[][] vectors(Embedder e, List<Row> group, V2Answer answer) {
        V2Answer.Output out = answer.outputs().get(0);
        int hidden = (int) out.shape()[out.shape().length - 1];
        FloatBuffer values = out.data().asFloatBuffer();
        float[][] v = new float[group.size()][];
        for (int i = 0; i < group.size(); i++) {
            v[i] = e.tokenStates()
                    ? e.pooling().pool(values, i, (int) out.shape()[1], hidden, group.get(i).length(), e.normalize())
                    : Pooling.row(values, i, hidden, e.normalize());
        }
        return v;
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
