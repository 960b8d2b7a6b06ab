package dev.kiln.install;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import javax.net.ssl.SSLContext;

/**
 * Streams a source to a file, hashing and counting as it goes: the size limit stops a download
 * the moment it is crossed, and a body shorter than its Content-Length is a truncated download.
 * Redirects are followed by hand so every hop passes the source policy again (and is pinned to
 * the address that passed). The whole download, redirects included, must end within the timeout;
 * one that makes no progress for a minute is abandoned sooner.
 */
final class Downloader {

    private static final int MAX_REDIRECTS = 5;
    private static final long STALL_MILLIS = 60_000;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "kiln-download-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final SSLContext tls;
    private final long stallMillis;

    Downloader() {
        this(defaultTls(), STALL_MILLIS);
    }

    Downloader(SSLContext tls, long stallMillis) {
        this.tls = tls;
        this.stallMillis = stallMillis;
    }

    /** Returns the sha256 (hex) of what was written. */
    String fetch(SourcePolicy.Source source, Path target, InstallJob job, long maxBytes, Duration timeout,
                 Function<String, SourcePolicy.Source> policy) throws InstallStepException, IOException {
        return fetch(source, Map.of(), target, job, maxBytes, timeout, policy);
    }

    /**
     * As above, sending {@code headers} (a registry's token) to the source and to redirects on the
     * same scheme, host and port only: a blob store the registry redirects to never sees them.
     */
    String fetch(SourcePolicy.Source source, Map<String, String> headers, Path target, InstallJob job, long maxBytes,
                 Duration timeout, Function<String, SourcePolicy.Source> policy) throws InstallStepException, IOException {
        if (source.isFile()) {
            long size = Files.size(Path.of(source.uri()));
            checkSize(size, maxBytes);
            job.bytesTotal(size);
            try (InputStream in = Files.newInputStream(Path.of(source.uri()))) {
                return copy(in, () -> in.close(), target, job, maxBytes, size, System.nanoTime() + timeout.toNanos());
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        SourcePolicy.Source hop = source;
        for (int n = 0; n <= MAX_REDIRECTS; n++) {
            int readTimeout = (int) Math.max(1, Math.min(stallMillis, remainingMillis(deadline)));
            Map<String, String> sent = sameOrigin(hop.uri(), source.uri()) ? headers : Map.of();
            try (HttpGet response = HttpGet.open(hop, tls, CONNECT_TIMEOUT, readTimeout, sent)) {
                String location = response.headers.get("location");
                if (response.status >= 300 && response.status < 400 && location != null) {
                    hop = policy.apply(hop.uri().resolve(location).toString());
                    continue;
                }
                if (response.status != 200) {
                    throw new HttpStatusException(response.status, response.headers.get("www-authenticate"),
                            "HTTP " + response.status + " from " + SourcePolicy.shown(hop.uri()));
                }
                long length = response.contentLength();
                if (length >= 0) {
                    checkSize(length, maxBytes);
                    job.bytesTotalIfUnknown(length);
                }
                return copy(response.body, response, target, job, maxBytes, length, deadline);
            } catch (java.net.SocketTimeoutException e) {
                throw new InstallStepException("no data from " + SourcePolicy.shown(hop.uri()) + " for "
                        + readTimeout / 1000 + " s, or the download timeout passed");
            } catch (javax.net.ssl.SSLException e) {
                throw new InstallStepException("TLS with " + hop.uri().getHost() + " failed: " + e.getMessage());
            } catch (java.net.ConnectException e) {
                throw new InstallStepException("cannot connect to " + SourcePolicy.shown(hop.uri()) + ": " + e.getMessage());
            }
        }
        throw new InstallStepException("more than " + MAX_REDIRECTS + " redirects");
    }

    /** A download answered with a status other than 200; a registry client retries a 401 with a fresh token. */
    static final class HttpStatusException extends InstallStepException {
        final int status;
        final String challenge;

        HttpStatusException(int status, String challenge, String message) {
            super(message);
            this.status = status;
            this.challenge = challenge;
        }
    }

    SSLContext tls() {
        return tls;
    }

    /** Same scheme, host and port (a default port written out or left out is the same port). */
    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() > 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private static long remainingMillis(long deadline) {
        return Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
    }

    private static void checkSize(long size, long maxBytes) throws InstallStepException {
        if (size > maxBytes) {
            throw new InstallStepException("source is " + size + " bytes, over ai.models.install.max-bytes (" + maxBytes + ")");
        }
    }

    /**
     * Copies under a watchdog that closes the connection when the download stalls or its deadline
     * passes: closing is how a blocked read is woken.
     */
    private String copy(InputStream in, Closeable connection, Path target, InstallJob job, long maxBytes, long expected,
                        long deadline) throws IOException, InstallStepException {
        AtomicLong lastProgress = new AtomicLong(System.currentTimeMillis());
        AtomicBoolean expired = new AtomicBoolean();
        ScheduledFuture<?> watchdog = WATCHDOG.scheduleAtFixedRate(() -> {
            boolean late = System.nanoTime() - deadline > 0;
            if (late || System.currentTimeMillis() - lastProgress.get() > stallMillis) {
                expired.set(late);
                try {
                    connection.close();
                } catch (IOException ignored) {
                    // Its own failure changes nothing: the read below ends either way.
                }
            }
        }, 100, Math.max(100, Math.min(1000, stallMillis / 4)), TimeUnit.MILLISECONDS);
        try {
            return copyWatched(in, target, job, maxBytes, expected, lastProgress);
        } catch (InstallStepException e) {
            if (expired.get()) {
                throw new InstallStepException("the download did not finish within ai.models.install.download-timeout");
            }
            throw e;
        } finally {
            watchdog.cancel(false);
        }
    }

    private static String copyWatched(InputStream in, Path target, InstallJob job, long maxBytes, long expected,
                                      AtomicLong lastProgress) throws IOException, InstallStepException {
        MessageDigest sha = sha256();
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        long before = job.bytesDone.get();
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                total += n;
                if (total > maxBytes) {
                    throw new InstallStepException("download passed ai.models.install.max-bytes (" + maxBytes + ")");
                }
                sha.update(buf, 0, n);
                out.write(buf, 0, n);
                job.bytesDone.set(before + total);
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

    private static SSLContext defaultTls() {
        try {
            return SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no TLS available", e);
        }
    }
}
