package dev.kiln.testing;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;

import java.util.Map;

/** ONNX Runtime called directly, without Kiln: the reference tests compare the service with. */
public final class DirectOrt {

    private DirectOrt() {
    }

    /** MiniLM int8 last_hidden_state for "[CLS] hello world [SEP]". */
    public static float[][][] miniLmHelloWorld() throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        String model = TestRepository.ROOT.resolve("all-minilm-l6-v2-q/model.onnx").toString();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
             OrtSession session = env.createSession(model, options);
             OnnxTensor ids = OnnxTensor.createTensor(env, new long[][]{{101, 7592, 2088, 102}});
             OnnxTensor mask = OnnxTensor.createTensor(env, new long[][]{{1, 1, 1, 1}});
             OnnxTensor types = OnnxTensor.createTensor(env, new long[][]{{0, 0, 0, 0}});
             OrtSession.Result result = session.run(Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types))) {
            return (float[][][]) result.get("last_hidden_state").orElseThrow().getValue();
        }
    }
}
