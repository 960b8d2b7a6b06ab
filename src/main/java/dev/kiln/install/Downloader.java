package dev.kiln.install;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Streams a source to a file, hashing and counting as it goes: the size limit stops a download
 * the moment it is crossed, and a body shorter than its Content-Length is a truncated download.
 * Redirects are followed by hand so every hop passes the source policy again.
 */
final class Downloader {

    private static final int MAX_REDIRECTS = 5;
    /** A download that makes no progress for this long is abandoned (the request timeout covers only headers). */
    private static final long STALL_MILLIS = 60_000;
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kiln-download-watchdog");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(15)).build();

    /** Returns the sha256 (hex) of what was written. */
    String fetch(URI source, Path target, InstallJob job, long maxBytes, Duration timeout,
                 Function<String, URI> policy) throws InstallStepException, IOException, InterruptedException {
        if ("file".equalsIgnoreCase(source.getScheme())) {
            long size = Files.size(Path.of(source));
            checkSize(size, maxBytes);
            job.bytesTotal(size);
            try (InputStream in = Files.newInputStream(Path.of(source))) {
                return copy(in, target, job, maxBytes, size);
            }
        }
        URI uri = source;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            int status = response.statusCode();
            if (status >= 300 && status < 400 && response.headers().firstValue("Location").isPresent()) {
                response.body().close();
                uri = policy.apply(uri.resolve(response.headers().firstValue("Location").get()).toString());
                continue;
            }
            try (InputStream in = response.body()) {
                if (status != 200) {
                    throw new InstallStepException("HTTP " + status + " from " + SourcePolicy.shown(uri));
                }
                long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
                if (length >= 0) {
                    checkSize(length, maxBytes);
                    job.bytesTotal(length);
                }
                return copy(in, target, job, maxBytes, length);
            }
        }
        throw new InstallStepException("more than " + MAX_REDIRECTS + " redirects");
    }

    private static void checkSize(long size, long maxBytes) throws InstallStepException {
        if (size > maxBytes) {
            throw new InstallStepException("source is " + size + " bytes, over ai.models.install.max-bytes (" + maxBytes + ")");
        }
    }

    private static String copy(InputStream in, Path target, InstallJob job, long maxBytes, long expected)
            throws IOException, InstallStepException {
        AtomicLong lastProgress = new AtomicLong(System.currentTimeMillis());
        ScheduledFuture<?> watchdog = WATCHDOG.scheduleAtFixedRate(() -> {
            if (System.currentTimeMillis() - lastProgress.get() > STALL_MILLIS) {
                try {
                    in.close();
                } catch (IOException ignored) {
                    // Closing is how a blocked read is woken; its own failure changes nothing.
                }
            }
        }, 5, 5, TimeUnit.SECONDS);
        try {
            return copyWatched(in, target, job, maxBytes, expected, lastProgress);
        } finally {
            watchdog.cancel(false);
        }
    }

    private static String copyWatched(InputStream in, Path target, InstallJob job, long maxBytes, long expected,
                                      AtomicLong lastProgress) throws IOException, InstallStepException {
        MessageDigest sha = sha256();
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                total += n;
                if (total > maxBytes) {
                    throw new InstallStepException("download passed ai.models.install.max-bytes (" + maxBytes + ")");
                }
                sha.update(buf, 0, n);
                out.write(buf, 0, n);
                job.bytesDone.set(total);
                lastProgress.set(System.currentTimeMillis());
            }
        } catch (IOException e) {
            throw new InstallStepException("download broke off after " + total + " bytes"
                    + (expected >= 0 ? " of " + expected : "") + ": " + e.getMessage());
        }
        if (expected >= 0 && total != expected) {
            throw new InstallStepException("download truncated: got " + total + " of " + expected + " bytes");
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
