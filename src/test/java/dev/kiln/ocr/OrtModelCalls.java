package dev.kiln.ocr;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@link ModelCalls} on ONNX Runtime in this process, for the OCR tests and bench/ocr.sh until the
 * inference core serves them: one session per model, opened from the repository's files, and a
 * fixed pool of workers that every model run goes through (as Kiln's bounded inference workers
 * are): {@code workers} runs at a time, each with {@code intraOpThreads} threads, no spinning.
 */
public final class OrtModelCalls implements ModelCalls, AutoCloseable {

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final Map<String, OrtSession> sessions = new HashMap<>();
    private final ExecutorService workers;

    public OrtModelCalls(Path repository, List<String> models, int workers, int intraOpThreads) throws OrtException {
        this(repository, models, workers, m -> intraOpThreads);
    }

    /** {@code intraOpThreads}: per model (a manifest's execution.intra_op_threads). */
    public OrtModelCalls(Path repository, List<String> models, int workers, java.util.function.ToIntFunction<String> intraOpThreads)
            throws OrtException {
        for (String m : models) {
            try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
                o.setIntraOpNumThreads(intraOpThreads.applyAsInt(m));
                o.setInterOpNumThreads(1);
                o.addConfigEntry("session.intra_op.allow_spinning", "0");
                o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                sessions.put(m, env.createSession(repository.resolve(m).resolve("model.onnx").toString(), o));
            }
        }
        this.workers = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "ort-worker");
            t.setDaemon(true);
            return t;
        });
    }

    /** The demo repository's three PP-OCR models (target/demo-models, laid out by the build). */
    public static OrtModelCalls demo(int workers, int intraOpThreads) throws OrtException {
        return demo(workers, intraOpThreads, intraOpThreads);
    }

    /** The demo models, the detector with threads of its own. */
    public static OrtModelCalls demo(int workers, int intraOpThreads, int detectorThreads) throws OrtException {
        OcrModels m = OcrModels.demo();
        return new OrtModelCalls(Path.of("target/demo-models"), List.of(m.detector(), m.classifier(), m.recognizer()), workers,
                name -> name.equals(m.detector()) ? detectorThreads : intraOpThreads);
    }

    @Override
    public Map<String, FloatTensor> run(String model, Map<String, FloatTensor> inputs) {
        return submit(model, inputs).join();
    }

    @Override
    public CompletableFuture<Map<String, FloatTensor>> submit(String model, Map<String, FloatTensor> inputs) {
        return CompletableFuture.supplyAsync(() -> runHere(model, inputs), workers);
    }

    private Map<String, FloatTensor> runHere(String model, Map<String, FloatTensor> inputs) {
        OrtSession session = sessions.get(model);
        if (session == null) {
            throw new IllegalArgumentException("no model " + model);
        }
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            for (Map.Entry<String, FloatTensor> e : inputs.entrySet()) {
                in.put(e.getKey(), OnnxTensor.createTensor(env, e.getValue().nativeBytes().asFloatBuffer(), e.getValue().shape()));
            }
            try (OrtSession.Result result = session.run(in)) {
                Map<String, FloatTensor> out = new LinkedHashMap<>();
                for (Map.Entry<String, OnnxValue> e : result) {
                    OnnxTensor t = (OnnxTensor) e.getValue();
                    out.put(e.getKey(), new FloatTensor(t.getInfo().getShape(), t.getFloatBuffer().array()));
                }
                return out;
            }
        } catch (OrtException e) {
            throw new IllegalStateException(model + ": " + e.getMessage(), e);
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    @Override
    public void close() throws OrtException {
        workers.shutdownNow();
        for (OrtSession s : sessions.values()) {
            s.close();
        }
    }
}
