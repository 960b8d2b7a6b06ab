package dev.kiln.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.kiln.registry.ResidentMemory;

import java.util.Arrays;
import java.util.Map;

/**
 * How ONNX Runtime's CPU arena settings trade memory for speed, one setting per JVM (bench/memory.sh
 * runs each): open the fp32 MiniLM, run inferences, close it, twenty times; report resident memory
 * after the first and the last close, and the p50 of a [1,128] run.
 * Usage: ArenaBench <model.onnx> <arena-on | arena-off | arena-shrink>
 */
public final class ArenaBench {

    public static void main(String[] args) throws Exception {
        String model = args[0];
        String mode = args[1];
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[] ids = new long[128];
        Arrays.fill(ids, 1000);
        long[] ones = new long[128];
        Arrays.fill(ones, 1);
        long baseline = ResidentMemory.bytes();
        long afterFirst = -1;
        long peak = 0;
        double[] latencies = new double[0];
        for (int cycle = 0; cycle < 20; cycle++) {
            try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
                 OrtSession.RunOptions run = new OrtSession.RunOptions()) {
                o.setCPUArenaAllocator(!mode.equals("arena-off"));
                if (mode.equals("arena-shrink")) {
                    run.addRunConfigEntry("memory.enable_memory_arena_shrinkage", "cpu:0");
                }
                try (OrtSession s = env.createSession(model, o);
                     OnnxTensor a = OnnxTensor.createTensor(env, new long[][]{ids});
                     OnnxTensor m = OnnxTensor.createTensor(env, new long[][]{ones});
                     OnnxTensor t = OnnxTensor.createTensor(env, new long[][]{new long[128]})) {
                    Map<String, OnnxTensor> feeds = Map.of("input_ids", a, "attention_mask", m, "token_type_ids", t);
                    int n = cycle == 19 ? 200 : 10;
                    latencies = new double[n];
                    for (int i = 0; i < n; i++) {
                        long t0 = System.nanoTime();
                        try (OrtSession.Result r = s.run(feeds, run)) {
                            latencies[i] = (System.nanoTime() - t0) / 1e6;
                        }
                    }
                    peak = Math.max(peak, ResidentMemory.bytes());
                }
            }
            if (cycle == 0) {
                afterFirst = ResidentMemory.bytes();
            }
        }
        long afterLast = ResidentMemory.bytes();
        Arrays.sort(latencies);
        System.out.printf("| %s | %d | %d | %d | %+d | %.2f |%n", mode, baseline >> 20, afterFirst >> 20, afterLast >> 20,
                (afterLast - afterFirst) >> 20, latencies[latencies.length / 2]);
    }
}
