package dev.kiln.runtime;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.io.schubfach.FloatToDecimal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * bench/float-text.sh: (1) every one of the 2^32 float bit patterns (the finite ones) printed by
 * FloatText and by Jackson's fast writer, compared; (2) one MiniLM answer's worth of floats (3,072,
 * as an 8-token last_hidden_state) written as a JSON array both ways, timed in the same run.
 */
public final class FloatTextBench {

    public static void main(String[] args) throws Exception {
        int threads = Runtime.getRuntime().availableProcessors();
        if (args.length == 0 || args[0].equals("all")) {
            exhaustive(threads);
        }
        speed();
    }

    private static void exhaustive(int threads) throws InterruptedException {
        AtomicLong differ = new AtomicLong();
        AtomicLong compared = new AtomicLong();
        long t0 = System.nanoTime();
        Thread[] workers = new Thread[threads];
        for (int w = 0; w < threads; w++) {
            int first = w;
            workers[w] = new Thread(() -> {
                byte[] buf = new byte[FloatText.MAX_CHARS];
                long n = 0;
                for (long bits = first; bits < 1L << 32; bits += threads) {
                    float f = Float.intBitsToFloat((int) bits);
                    if (!Float.isFinite(f)) {
                        continue;
                    }
                    n++;
                    String ours = new String(buf, 0, FloatText.write(f, buf, 0), StandardCharsets.US_ASCII);
                    String jackson = FloatToDecimal.toString(f);
                    if (!ours.equals(jackson) && differ.incrementAndGet() <= 20) {
                        System.out.println("differs: bits " + Integer.toHexString((int) bits) + " Jackson " + jackson + " FloatText " + ours);
                    }
                }
                compared.addAndGet(n);
            });
            workers[w].start();
        }
        for (Thread w : workers) {
            w.join();
        }
        System.out.printf("exhaustive: %d finite floats compared, %d differ (%.0f s on %d threads)%n",
                compared.get(), differ.get(), (System.nanoTime() - t0) / 1e9, threads);
    }

    private static void speed() throws Exception {
        JsonFactory json = JsonFactory.builder().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();
        Random random = new Random(1);
        float[] values = new float[3072];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * 0.5);
        }
        ByteBuffer buffer = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.nativeOrder());
        buffer.asFloatBuffer().put(values);
        OutputTensor tensor = OutputTensor.of("y", Datatype.FP32, new long[]{values.length}, buffer);
        ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 16);
        int rounds = 2000;
        for (int pass = 1; pass <= 10; pass++) {
            long t0 = System.nanoTime();
            for (int r = 0; r < rounds; r++) {
                out.reset();
                try (JsonGenerator g = json.createGenerator(out)) {
                    g.writeStartArray();
                    for (float v : values) {
                        g.writeNumber(v);
                    }
                    g.writeEndArray();
                }
            }
            long t1 = System.nanoTime();
            for (int r = 0; r < rounds; r++) {
                out.reset();
                try (JsonGenerator g = json.createGenerator(out)) {
                    tensor.writeJson(g);
                }
            }
            long t2 = System.nanoTime();
            System.out.printf("pass %d (%s): 3,072 floats as JSON: Jackson writeNumber %.0f us, FloatText %.0f us (%.2fx)%n",
                    pass, pass <= 5 ? "JIT warming" : "measured", (t1 - t0) / 1e3 / rounds, (t2 - t1) / 1e3 / rounds, (double) (t1 - t0) / (t2 - t1));
        }
    }
}
