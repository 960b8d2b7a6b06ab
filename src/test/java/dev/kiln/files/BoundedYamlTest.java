package dev.kiln.files;

import dev.kiln.catalog.ModelManifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bounds every YAML file Kiln reads from the repository is held to. */
class BoundedYamlTest {

    @TempDir
    Path dir;

    private final BoundedYaml yaml = new BoundedYaml();

    private Path file(String text) throws IOException {
        return Files.writeString(dir.resolve("model.yaml"), text);
    }

    @Test
    void anOrdinaryManifestReadsAndAnEmptyOneIsNull() throws Exception {
        ModelManifest m = yaml.read(file("category: text\nwarmup:\n  iterations: 2\n"), ModelManifest.class);
        assertEquals("text", m.category());
        assertEquals(2, m.warmup().iterations());
        assertNull(yaml.read(file(""), ModelManifest.class));
    }

    @Test
    void justOverTheCapIsRefusedWithoutParsing() throws Exception {
        String padding = "# " + "x".repeat(100) + "\n";
        StringBuilder b = new StringBuilder();
        while (b.length() <= BoundedYaml.MAX_BYTES) {
            b.append(padding);
        }
        IOException e = assertThrows(BoundedYaml.Refused.class, () -> yaml.read(file(b.toString()), ModelManifest.class));
        assertTrue(e.getMessage().startsWith("model.yaml is " + b.length() + " bytes, more than the 256 KiB"), e.getMessage());
        String under = padding.repeat(BoundedYaml.MAX_BYTES / padding.length() - 1) + "category: text\n";
        assertEquals("text", yaml.read(file(under), ModelManifest.class).category(), "just under the cap still reads");
    }

    /** Jackson reads aliases as events, never expanding them; deep nesting is refused at the limit. */
    @Test
    void aliasBombsAndDeepNestingStopEarly() throws Exception {
        StringBuilder bomb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (char c = 'b'; c <= 'k'; c++) {
            char prev = (char) (c - 1);
            bomb.append(c).append(": &").append(c).append(" [*").append(prev).append(", *").append(prev).append(", *").append(prev)
                    .append(", *").append(prev).append("]\n");
        }
        long start = System.nanoTime();
        try {
            Map<?, ?> read = yaml.read(file(bomb.toString()), Map.class);
            assertTrue(read.toString().length() < 10_000, "aliases not expanded: " + read.toString().length());
        } catch (IOException refused) {
            // refused is as good
        }
        IOException deep = assertThrows(IOException.class, () -> yaml.read(file("a: " + "[".repeat(1000) + "]".repeat(1000) + "\n"), Map.class));
        assertTrue(deep.getMessage().contains("depth") || deep.getMessage().contains("Nesting"), deep.getMessage());
        assertTrue(System.nanoTime() - start < 2_000_000_000L, "both done at once");
    }
}
