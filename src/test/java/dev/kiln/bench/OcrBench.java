package dev.kiln.bench;

import com.benjaminwan.ocrlibrary.OcrResult;
import com.benjaminwan.ocrlibrary.TextBlock;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.ocr.CtcDecoder;
import dev.kiln.ocr.DetPreprocess;
import dev.kiln.ocr.OcrEngine;
import dev.kiln.ocr.OcrLine;
import dev.kiln.ocr.OcrModels;
import dev.kiln.ocr.OcrScore;
import dev.kiln.ocr.OcrSettings;
import dev.kiln.ocr.OcrTestImages;
import dev.kiln.ocr.OrtModelCalls;
import io.github.mymonstercat.Model;
import io.github.mymonstercat.ocr.InferenceEngine;
import io.github.mymonstercat.ocr.config.HardwareConfig;
import io.github.mymonstercat.ocr.config.ParamConfig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The Java halves of bench/ocr.sh.
 * <ul>
 * <li>{@code images <dir> <count>}: the generated test images and their truth.json.</li>
 * <li>{@code kiln <dir> <seconds> <clients,...> <workers> <intra-op threads>}: Kiln's OCR engine (ocr/) on ONNX
 *     Runtime in this process, model runs through a pool of {@code workers} (as Kiln's inference
 *     workers), each with {@code intra-op threads}. Settings: -Docr.limit (960), -Docr.limitType (MAX),
 *     -Docr.recBatch, -Docr.clsBatch, -Docr.unclip, -Docr.dilate, -Docr.detThreads (the detector's
 *     intra-op threads).</li>
 * <li>{@code http <dir> <seconds> <clients,...> <port> <v1|v2> <pid>}: OCR through a running Kiln (the packaged jar
 *     bench/ocr.sh starts): {@code v1} posts each file to /v1/ocr, {@code v2} sends it to the ppocr pipeline as V2 binary
 *     (UINT8 in, text and boxes out in binary). CPU time is the server's ({@code pid}, from /proc), not this client's.</li>
 * <li>{@code rapid <dir> <seconds> <clients,...> <threads>}: RapidOCR (io.github.mymonstercat:rapidocr 0.0.7, its
 *     C++ engine through JNI) with its defaults (padding 50, no side limit, box thresholds 0.3 / 0.5,
 *     unclip 1.6) and the orientation classifier on ({@code doAngle}; off by default, which would
 *     leave upside-down lines unread), {@code mostAngle} off.</li>
 * </ul>
 * Each first reads every image once and prints the scores (ACC line: character accuracy, line
 * recall, exact lines, strays, as {@link OcrScore} defines them), then for each client count runs
 * the images round-robin from that many threads and prints p50 (ms per image) and images/s (KILN line).
 */
public final class OcrBench {

    private record Image(byte[] bytes, Path file, List<OcrTestImages.TruthLine> truth) {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "images" -> OcrTestImages.writeTo(Path.of(args[1]), OcrTestImages.benchSet(Integer.parseInt(args[2])));
            case "kiln" -> kiln(load(Path.of(args[1])), Integer.parseInt(args[2]), args[3], Integer.parseInt(args[4]),
                    Integer.parseInt(args[5]));
            case "rapid" -> rapid(load(Path.of(args[1])), Integer.parseInt(args[2]), args[3], Integer.parseInt(args[4]));
            case "http" -> http(load(Path.of(args[1])), Integer.parseInt(args[2]), args[3], Integer.parseInt(args[4]), args[5],
                    Long.parseLong(args[6]));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static List<Image> load(Path dir) throws Exception {
        List<OcrTestImages.Truth> truth = new ObjectMapper().readValue(dir.resolve("truth.json").toFile(), new TypeReference<>() {
        });
        List<Image> out = new ArrayList<>();
        for (OcrTestImages.Truth t : truth) {
            Path file = dir.resolve(t.file()).toAbsolutePath();
            out.add(new Image(Files.readAllBytes(file), file, t.lines()));
        }
        return out;
    }

    static OcrSettings settings() {
        OcrSettings d = OcrSettings.defaults();
        return d.withLimit(Integer.getInteger("ocr.limit", d.limitSideLen()),
                        DetPreprocess.LimitType.valueOf(System.getProperty("ocr.limitType", d.limitType().name())))
                .withBatches(Integer.getInteger("ocr.clsBatch", d.classifierBatch()), Integer.getInteger("ocr.recBatch", d.recognizerBatch()))
                .withBoxes(Float.parseFloat(System.getProperty("ocr.unclip", String.valueOf(d.unclipRatio()))),
                        Boolean.parseBoolean(System.getProperty("ocr.dilate", String.valueOf(d.dilate()))));
    }

    private static void kiln(List<Image> images, int seconds, String clients, int workers, int intraOp) throws Exception {
        CtcDecoder dictionary = CtcDecoder.fromFile(Path.of("target/demo-models/ppocr-v4-rec/ppocr_keys_v1.txt"));
        try (OrtModelCalls calls = OrtModelCalls.demo(workers, intraOp, Integer.getInteger("ocr.detThreads", intraOp))) {
            OcrEngine engine = new OcrEngine(calls, OcrModels.demo(), settings(), dictionary);
            System.out.println("CONFIG " + settings());
            long[] steps = new long[6];
            run(images, seconds, clients, image -> {
                dev.kiln.ocr.OcrResult r = engine.read(image.bytes());
                add(steps, r.timings());
                List<OcrScore.Predicted> out = new ArrayList<>();
                for (OcrLine l : r.lines()) {
                    out.add(new OcrScore.Predicted(l.text(), l.box()));
                }
                return out;
            }, () -> {
                System.out.printf("STEPS ms per image: detection %.1f, boxes %.1f, crops %.1f, classifier %.1f, recogniser %.1f (%d images)%n",
                        steps[0] / 1e6 / steps[5], steps[1] / 1e6 / steps[5], steps[2] / 1e6 / steps[5], steps[3] / 1e6 / steps[5],
                        steps[4] / 1e6 / steps[5], steps[5]);
                java.util.Arrays.fill(steps, 0);
            });
        }
    }

    private static void http(List<Image> images, int seconds, String clients, int port, String form, long pid) throws Exception {
        KilnOverHttp kiln = new KilnOverHttp(port, form);
        System.out.println("CONFIG Kiln on port " + port + " through " + (form.equals("v1") ? "/v1/ocr" : "V2 binary on ppocr"));
        run(images, seconds, clients, image -> kiln.read(image.bytes(), image.file().toString()), () -> {
        }, () -> KilnOverHttp.cpuNanos(pid));
    }

    private static void rapid(List<Image> images, int seconds, String clients, int threads) throws Exception {
        InferenceEngine engine = InferenceEngine.getInstance(Model.ONNX_PPOCR_V4, new HardwareConfig(threads, -1));
        ParamConfig config = ParamConfig.getDefaultConfig();
        config.setDoAngle(true);
        config.setMostAngle(false);
        System.out.println("CONFIG " + config);
        run(images, seconds, clients, image -> {
            OcrResult r = engine.runOcr(image.file().toString(), config);
            List<OcrScore.Predicted> out = new ArrayList<>();
            for (TextBlock b : r.getTextBlocks()) {
                float[] box = new float[8];
                for (int i = 0; i < 4; i++) {
                    box[2 * i] = b.getBoxPoint().get(i).getX();
                    box[2 * i + 1] = b.getBoxPoint().get(i).getY();
                }
                out.add(new OcrScore.Predicted(b.getText(), box));
            }
            return out;
        }, () -> {
        });
    }

    private static synchronized void add(long[] steps, dev.kiln.ocr.OcrResult.Timings t) {
        steps[0] += t.detection();
        steps[1] += t.boxes();
        steps[2] += t.crops();
        steps[3] += t.classifier();
        steps[4] += t.recognizer();
        steps[5]++;
    }

    /** {@code report}: prints (and resets) what the engine counted, after the scoring pass and after each client count. */
    private static void run(List<Image> images, int seconds, String clients, Function<Image, List<OcrScore.Predicted>> engine,
                            Runnable report) throws Exception {
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean();
        run(images, seconds, clients, engine, report, os::getProcessCpuTime);
    }

    /** {@code cpuNanos}: the CPU time of whoever does the work so far (this process, or the server measured). */
    private static void run(List<Image> images, int seconds, String clients, Function<Image, List<OcrScore.Predicted>> engine,
                            Runnable report, java.util.function.LongSupplier cpuNanos) throws Exception {
        OcrScore.Totals totals = OcrScore.Totals.ZERO;
        List<OcrScore.LineVerdict> wrong = new ArrayList<>();
        int upsideDown = 0;
        int upsideDownFound = 0;
        for (Image image : images) {
            List<OcrScore.LineVerdict> verdicts = new ArrayList<>();
            totals = totals.plus(OcrScore.score(image.truth(), engine.apply(image), verdicts));
            verdicts.stream().filter(v -> v.errors() > 0).forEach(wrong::add);
            for (int i = 0; i < verdicts.size(); i++) {
                if (image.truth().get(i).upsideDown()) {
                    upsideDown++;
                    upsideDownFound += verdicts.get(i).found() ? 1 : 0;
                }
            }
        }
        for (OcrScore.LineVerdict v : wrong) {
            System.out.println("MISREAD " + v.errors() + " | " + v.truth() + " | " + v.read());
        }
        System.out.printf("ACC char_accuracy=%.4f line_recall=%.4f exact=%d lines=%d strays=%d upside_down_found=%d upside_down=%d%n",
                totals.charAccuracy(), totals.lineRecall(), totals.exact(), totals.lines(), totals.strays(), upsideDownFound, upsideDown);
        report.run();
        for (String c : clients.split(",")) {
            AtomicInteger next = new AtomicInteger();
            System.out.println("CLIENTS " + c);
            AtomicInteger done = new AtomicInteger();
            long cpu = cpuNanos.getAsLong();
            long start = System.nanoTime();
            ClosedLoop.measure(Integer.parseInt(c), seconds, () -> {
                engine.apply(images.get(Math.floorMod(next.getAndIncrement(), images.size())));
                done.incrementAndGet();
            }, null);
            // ClosedLoop's rate has one decimal; OCR runs at a few images a second.
            System.out.printf("RATE images_per_s=%.3f%n", done.get() / ((System.nanoTime() - start) / 1e9));
            // Work per image whatever else runs on the machine: the process's CPU time over the images it read.
            System.out.printf("CPU ms per image %.1f%n", (cpuNanos.getAsLong() - cpu) / 1e6 / Math.max(1, done.get()));
            report.run();
        }
    }
}
