package dev.kiln.bench;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The Java halves of bench/embeddings.sh.
 * <ul>
 * <li>{@code bodies <dir>}: the request bodies wrk sends: one sentence, and one request of 64.</li>
 * <li>{@code inprocess <clients> <seconds> <sentences per call>}: LangChain4j's in-process int8
 *     all-MiniLM-L6-v2 (the same model file Kiln serves as all-minilm-l6-v2-q) embedding the same
 *     sentences from {@code clients} threads; prints p50 (ms per call) and sentences per second.</li>
 * </ul>
 */
public final class EmbeddingBench {

    /** 64 different sentences of 8 to 20 words. */
    static List<String> sentences() {
        String[] words = ("kiln keeps models hot so that every request finds its session ready and the operators sleep well "
                + "while the pods scale up and down across the cluster at night").split(" ");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            StringBuilder s = new StringBuilder("Sentence " + i + ":");
            for (int w = 0; w < 8 + i % 13; w++) {
                s.append(' ').append(words[(i * 7 + w * 3) % words.length]);
            }
            out.add(s.append('.').toString());
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "bodies" -> bodies(Path.of(args[1]));
            case "inprocess" -> inProcess(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    static void bodies(Path dir) throws Exception {
        Files.createDirectories(dir);
        List<String> s = sentences();
        Files.writeString(dir.resolve("one.json"), "{\"model\":\"MODEL\",\"input\":\"" + s.get(5) + "\"}");
        Files.writeString(dir.resolve("batch64.json"), "{\"model\":\"MODEL\",\"input\":[\"" + String.join("\",\"", s) + "\"]}");
    }

    static void inProcess(int clients, int seconds, int perCall) throws Exception {
        AllMiniLmL6V2QuantizedEmbeddingModel model = new AllMiniLmL6V2QuantizedEmbeddingModel();
        List<TextSegment> batch = sentences().subList(0, perCall).stream().map(TextSegment::from).toList();
        TextSegment one = TextSegment.from(sentences().get(5));
        for (int i = 0; i < 200; i++) {
            call(model, perCall, batch, one);
        }
        ClosedLoop.measure(clients, seconds, () -> call(model, perCall, batch, one), null);
    }

    private static void call(AllMiniLmL6V2QuantizedEmbeddingModel model, int perCall, List<TextSegment> batch, TextSegment one) {
        if (perCall == 1) {
            model.embed(one);
        } else {
            model.embedAll(batch);
        }
    }
}
