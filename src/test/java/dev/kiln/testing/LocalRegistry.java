package dev.kiln.testing;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real registry: Debian's docker-registry (the CNCF distribution registry), on a free loopback
 * port, plain http, file system storage in a directory of the test's, with an optional auth
 * section. Images go in with skopeo from an OCI layout. Both tools are installed by .ci/run; a
 * missing one fails the test.
 */
public final class LocalRegistry implements AutoCloseable {

    public final int port;
    private final Path dir;
    private final Process process;

    private LocalRegistry(int port, Path dir, Process process) {
        this.port = port;
        this.dir = dir;
        this.process = process;
    }

    /** Starts one; {@code authYaml} is the config's {@code auth:} section (indented by two), or empty. */
    public static LocalRegistry start(Path dir, String authYaml) throws Exception {
        Files.createDirectories(dir);
        int port = Processes.freePort();
        String config = "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: " + dir.resolve("storage")
                + "\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:" + port + "\n"
                + (authYaml.isEmpty() ? "" : "auth:\n" + authYaml);
        Files.writeString(dir.resolve("config.yml"), config);
        Process p = new ProcessBuilder("docker-registry", "serve", dir.resolve("config.yml").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        LocalRegistry registry = new LocalRegistry(port, dir, p);
        registry.awaitUp();
        return registry;
    }

    private void awaitUp() throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < until) {
            if (!process.isAlive()) {
                throw new AssertionError("docker-registry exited: " + log());
            }
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/v2/").toURL().openConnection();
                c.setConnectTimeout(500);
                if (c.getResponseCode() > 0) {
                    return;
                }
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new AssertionError("docker-registry did not answer within 20 s: " + log());
    }

    public String authority() {
        return "127.0.0.1:" + port;
    }

    /**
     * {@code skopeo copy oci:<layout>:<tag> docker://127.0.0.1:<port>/<repo>:<tag>}; extra flags such as --all or --format v2s2.
     * Digests are preserved (skopeo would otherwise compress uncompressed layers, changing the manifest) unless the
     * format is converted, which changes them by nature.
     */
    public void push(Path layout, String tag, String repoAndTag, String credentials, String... extra) throws Exception {
        List<String> command = new ArrayList<>(List.of("skopeo", "copy", "--dest-tls-verify=false"));
        if (credentials != null) {
            command.add("--dest-creds=" + credentials);
        }
        command.addAll(List.of(extra));
        if (!command.contains("--format")) {
            command.add("--preserve-digests");
        }
        command.add("oci:" + layout + ":" + tag);
        command.add("docker://" + authority() + "/" + repoAndTag);
        Processes.Result r = Processes.run(command, null, 60);
        if (r.exitCode() != 0) {
            throw new AssertionError("skopeo push failed (" + r.exitCode() + "): " + r.output());
        }
    }

    /** Where the registry keeps a blob's bytes: a test that rewrites them plays a registry serving tampered content. */
    public Path blobData(String digest) {
        String hex = digest.substring("sha256:".length());
        return dir.resolve("storage/docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data");
    }

    public String log() throws IOException {
        return Files.readString(dir.resolve("registry.log"));
    }

    /** The password of the user an htpasswd registry makes up when its password file is missing. */
    public String provisionedPassword() throws IOException {
        Matcher m = Pattern.compile("password=\"?([A-Za-z0-9_-]+)").matcher(log());
        if (!m.find()) {
            throw new AssertionError("no provisioned password in the registry's log: " + log());
        }
        return m.group(1);
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
