package dev.kiln.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;

/**
 * What a request could change: every file in the repository (path, size, and the text of manifests
 * and settings), and every model's state as the models status reports it. The lock files under
 * {@code .kiln-locks/} are left out: they are bookkeeping, and each take of a lock (a replica
 * following the disk does it every few seconds) writes its owner into them.
 */
public final class RepositorySnapshot {

    private RepositorySnapshot() {
    }

    public static Map<String, String> take(Path root) throws IOException {
        Map<String, String> out = files(root);
        Json.of(given().get("/api/v1/setup/models/status").then().statusCode(200)).get("installed_models")
                .forEach(m -> out.put("state:" + m.get("name").asText(), m.get("state").asText() + " enabled=" + m.get("enabled")));
        return out;
    }

    /** The repository's files: path to size, or to the text of a manifest or the settings. */
    public static Map<String, String> files(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(Files::isRegularFile)
                    .filter(p -> !root.relativize(p).startsWith(dev.kiln.files.RepositoryLocks.DIRECTORY)).toList()) {
                String rel = root.relativize(p).toString();
                out.put(rel, rel.endsWith(".yaml") ? Files.readString(p) : String.valueOf(Files.size(p)));
            }
        }
        return out;
    }
}
