package dev.kiln.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.ocr.OcrScore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * OCR through a running Kiln, as a service's client would ask: the image file posted to /v1/ocr
 * ({@code v1}), or sent to the ppocr pipeline over V2 with the binary tensor extension ({@code v2}:
 * UINT8 in, text and boxes answered in binary). Lines come back as the scoring reads them.
 */
final class KilnOverHttp {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final int port;
    private final boolean v1;

    KilnOverHttp(int port, String form) {
        this.port = port;
        this.v1 = form.equals("v1");
    }

    List<OcrScore.Predicted> read(byte[] image, String file) {
        try {
            return v1 ? v1(image, file) : v2(image);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private List<OcrScore.Predicted> v1(byte[] image, String file) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/ocr"))
                .header("Content-Type", file.endsWith(".png") ? "image/png" : "image/jpeg")
                .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(), HttpResponse.BodyHandlers.ofByteArray());
        ok(r);
        List<OcrScore.Predicted> out = new ArrayList<>();
        for (JsonNode l : JSON.readTree(r.body()).get("lines")) {
            float[] box = new float[8];
            for (int k = 0; k < 4; k++) {
                box[2 * k] = (float) l.get("box").get(k).get(0).asDouble();
                box[2 * k + 1] = (float) l.get("box").get(k).get(1).asDouble();
            }
            out.add(new OcrScore.Predicted(l.get("text").asText(), box));
        }
        return out;
    }

    private List<OcrScore.Predicted> v2(byte[] image) throws IOException, InterruptedException {
        byte[] header = ("{\"inputs\":[{\"name\":\"image\",\"shape\":[" + image.length + "],\"datatype\":\"UINT8\",\"parameters\":"
                + "{\"binary_data_size\":" + image.length + "}}],\"outputs\":[{\"name\":\"text\",\"parameters\":{\"binary_data\":true}},"
                + "{\"name\":\"boxes\",\"parameters\":{\"binary_data\":true}}]}").getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[header.length + image.length];
        System.arraycopy(header, 0, body, 0, header.length);
        System.arraycopy(image, 0, body, header.length, image.length);
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v2/models/ppocr/infer"))
                .header("Content-Type", "application/octet-stream").header("Inference-Header-Content-Length", String.valueOf(header.length))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
        ok(r);
        int headerLength = Integer.parseInt(r.headers().firstValue("Inference-Header-Content-Length").orElseThrow());
        JsonNode outputs = JSON.readTree(new String(r.body(), 0, headerLength, StandardCharsets.UTF_8)).get("outputs");
        ByteBuffer raw = ByteBuffer.wrap(r.body(), headerLength, r.body().length - headerLength).slice().order(ByteOrder.LITTLE_ENDIAN);
        List<String> text = new ArrayList<>();
        int textBytes = outputs.get(0).get("parameters").get("binary_data_size").asInt();
        while (raw.position() < textBytes) {
            byte[] s = new byte[raw.getInt()];
            raw.get(s);
            text.add(new String(s, StandardCharsets.UTF_8));
        }
        List<OcrScore.Predicted> out = new ArrayList<>();
        for (String t : text) {
            float[] box = new float[8];
            for (int k = 0; k < 8; k++) {
                box[k] = raw.getFloat();
            }
            out.add(new OcrScore.Predicted(t, box));
        }
        return out;
    }

    private static void ok(HttpResponse<byte[]> r) throws IOException {
        if (r.statusCode() != 200) {
            throw new IOException("Kiln answered " + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
        }
    }

    /** The process's user and system CPU time so far, from /proc (clock ticks of 10 ms on Linux). */
    static long cpuNanos(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
