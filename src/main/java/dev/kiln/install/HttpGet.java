package dev.kiln.install;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One HTTP/1.1 GET to an address that was checked already. The JDK's clients resolve the host
 * again on their own, which would reopen the window the source policy closes; here the socket is
 * connected to {@link SourcePolicy.Source#address()} and nothing else, while TLS still sends the
 * host name (SNI) and verifies the certificate against it.
 */
final class HttpGet implements Closeable {

    private static final int MAX_HEADER_BYTES = 64 * 1024;

    final int status;
    final Map<String, String> headers;
    final InputStream body;
    private final Socket socket;

    private HttpGet(Socket socket, int status, Map<String, String> headers, InputStream body) {
        this.socket = socket;
        this.status = status;
        this.headers = headers;
        this.body = body;
    }

    /** Declared body length, or -1 when the server did not say (chunked or read-to-close). */
    long contentLength() {
        try {
            return headers.containsKey("transfer-encoding") ? -1 : Long.parseLong(headers.getOrDefault("content-length", "-1").trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static HttpGet open(SourcePolicy.Source source, SSLContext tls, Duration connectTimeout, int readTimeoutMillis)
            throws IOException {
        return open(source, tls, connectTimeout, readTimeoutMillis, Map.of());
    }

    /** As above, with extra request headers (a registry's Accept and Authorization). */
    static HttpGet open(SourcePolicy.Source source, SSLContext tls, Duration connectTimeout, int readTimeoutMillis,
                        Map<String, String> extraHeaders) throws IOException {
        URI uri = source.uri();
        boolean https = "https".equalsIgnoreCase(uri.getScheme());
        int port = uri.getPort() > 0 ? uri.getPort() : https ? 443 : 80;
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(source.address(), port), (int) connectTimeout.toMillis());
            socket.setSoTimeout(readTimeoutMillis);
            if (https) {
                socket = secure(socket, tls, uri.getHost(), port);
            }
            OutputStream out = socket.getOutputStream();
            out.write(request(uri, port, https, extraHeaders).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            String statusLine = line(in);
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP/1.x response: " + statusLine);
            }
            int status = Integer.parseInt(parts[1]);
            Map<String, String> headers = headers(in);
            return new HttpGet(socket, status, headers, body(in, headers));
        } catch (NumberFormatException e) {
            socket.close();
            throw new IOException("malformed HTTP status line");
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * The whole body of a small answer (a manifest, a token), refused past {@code max} bytes or once
     * {@code deadlineNanos} has passed: a server that trickles cannot hold an install forever.
     */
    byte[] readBody(int max, long deadlineNanos) throws IOException {
        long declared = contentLength();
        if (declared > max) {
            throw new IOException("answer of " + declared + " bytes, more than the " + max + " allowed");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[16 * 1024];
        for (int n = body.read(buf); n >= 0; n = body.read(buf)) {
            out.write(buf, 0, n);
            if (out.size() > max) {
                throw new IOException("answer longer than the " + max + " bytes allowed");
            }
            if (System.nanoTime() - deadlineNanos > 0) {
                throw new IOException("answer not complete within the download timeout");
            }
            if (declared >= 0 && out.size() == declared) {
                break;
            }
        }
        if (declared >= 0 && out.size() != declared) {
            throw new IOException("answer truncated: " + out.size() + " of " + declared + " bytes");
        }
        return out.toByteArray();
    }

    private static Socket secure(Socket plain, SSLContext tls, String host, int port) throws IOException {
        SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(plain, host, port, true);
        SSLParameters params = ssl.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        if (!host.startsWith("[") && !Character.isDigit(host.charAt(host.length() - 1))) {
            params.setServerNames(List.of(new SNIHostName(host)));
        }
        ssl.setSSLParameters(params);
        ssl.startHandshake();
        return ssl;
    }

    private static String request(URI uri, int port, boolean https, Map<String, String> extraHeaders) {
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        if (uri.getRawQuery() != null) {
            path += "?" + uri.getRawQuery();
        }
        String host = uri.getHost();
        boolean defaultPort = port == (https ? 443 : 80);
        StringBuilder head = new StringBuilder("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host)
                .append(defaultPort ? "" : ":" + port).append("\r\nUser-Agent: kiln\r\n");
        if (!extraHeaders.containsKey("Accept")) {
            head.append("Accept: */*\r\n");
        }
        extraHeaders.forEach((name, value) -> head.append(name).append(": ").append(headerValue(value)).append("\r\n"));
        return head.append("Accept-Encoding: identity\r\nConnection: close\r\n\r\n").toString();
    }

    /** A value that came from elsewhere (a token endpoint's answer) must not be able to add headers of its own. */
    private static String headerValue(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw new IllegalArgumentException("header value with a control or non-ASCII character");
            }
        }
        return value;
    }

    private static Map<String, String> headers(InputStream in) throws IOException {
        Map<String, String> headers = new HashMap<>();
        int total = 0;
        for (String line = line(in); !line.isEmpty(); line = line(in)) {
            total += line.length();
            if (total > MAX_HEADER_BYTES) {
                throw new IOException("response headers are larger than " + MAX_HEADER_BYTES + " bytes");
            }
            int colon = line.indexOf(':');
            if (colon > 0) {
                headers.merge(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim(),
                        (a, b) -> a + "," + b);
            }
        }
        return headers;
    }

    private static InputStream body(InputStream in, Map<String, String> headers) throws IOException {
        String te = headers.get("transfer-encoding");
        if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            return new Chunked(in);
        }
        return in;
    }

    /** One CRLF-terminated line of the head, bounded. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("connection closed in the middle of the response head");
            }
            if (b.size() > MAX_HEADER_BYTES) {
                throw new IOException("response head line too long");
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    /** Decodes chunked transfer encoding; a body that stops before its last chunk is an error, not an end. */
    private static final class Chunked extends FilterInputStream {
        private long left;
        private boolean done;

        Chunked(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (left == 0) {
                String size = line(in);
                int semi = size.indexOf(';');
                try {
                    left = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                } catch (NumberFormatException e) {
                    throw new IOException("malformed chunk size '" + size + "'");
                }
                if (left == 0) {
                    done = true;
                    while (!line(in).isEmpty()) {
                        // Trailers are read and dropped.
                    }
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new IOException("connection closed inside a chunk");
            }
            left -= n;
            if (left == 0) {
                line(in);
            }
            return n;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
