package dev.kiln.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * A real HTTP server on 127.0.0.1 that serves model files for install tests, and can misbehave
 * on purpose: slowly, truncated (a Content-Length it does not honour), or chunked (no length).
 */
public final class ModelServer implements AutoCloseable {

    public enum Mode { NORMAL, SLOW, TRUNCATED, CHUNKED }

    private record Served(byte[] body, Mode mode) {
    }

    private final HttpServer server;
    private final Map<String, Served> files = new ConcurrentHashMap<>();
    private final Map<String, java.util.concurrent.atomic.AtomicInteger> gets = new ConcurrentHashMap<>();

    /** How many requests asked for that path. */
    public int requests(String path) {
        java.util.concurrent.atomic.AtomicInteger n = gets.get(path);
        return n == null ? 0 : n.get();
    }

    public ModelServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", this::handle);
        server.start();
    }

    public String serve(String path, byte[] body, Mode mode) {
        if (mode == Mode.TRUNCATED) {
            return truncating(path, body);
        }
        files.put(path, new Served(body, mode));
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /**
     * A one-shot raw socket that promises the whole body in Content-Length, sends half and hangs
     * up: what a dropped connection looks like to the client.
     */
    private String truncating(String path, byte[] body) {
        try {
            java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"));
            Thread t = new Thread(() -> {
                try (socket; java.net.Socket client = socket.accept()) {
                    client.getInputStream().read(new byte[8192]);
                    OutputStream out = client.getOutputStream();
                    out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    out.write(body, 0, body.length / 2);
                    out.flush();
                } catch (IOException e) {
                    // The test sees whatever the client made of it.
                }
            });
            t.setDaemon(true);
            t.start();
            return "http://127.0.0.1:" + socket.getLocalPort() + path;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha256(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        gets.computeIfAbsent(ex.getRequestURI().getPath(), p -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
        Served s = files.get(ex.getRequestURI().getPath());
        if (s == null) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
        }
        try (OutputStream out = ex.getResponseBody()) {
            switch (s.mode()) {
                case NORMAL -> {
                    ex.sendResponseHeaders(200, s.body().length);
                    out.write(s.body());
                }
                case CHUNKED -> {
                    ex.sendResponseHeaders(200, 0);
                    out.write(s.body());
                }
                case TRUNCATED -> throw new IllegalStateException("served by truncating()");
                case SLOW -> {
                    ex.sendResponseHeaders(200, s.body().length);
                    for (int i = 0; i < s.body().length; i += 4096) {
                        out.write(s.body(), i, Math.min(4096, s.body().length - i));
                        out.flush();
                        Thread.sleep(50);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // Truncation, or the client went away: the connection just ends.
        } finally {
            ex.close();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
