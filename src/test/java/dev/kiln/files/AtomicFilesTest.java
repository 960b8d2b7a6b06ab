package dev.kiln.files;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AtomicFilesTest {

    @TempDir
    Path dir;

    @Test
    void aWriteReplacesTheFileWhole() throws Exception {
        Path file = dir.resolve("settings.yaml");
        AtomicFiles.write(file, "a: 1\n".getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(file, "a: 2\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("a: 2\n", Files.readString(file));
        assertEquals(List.of("settings.yaml"), names());
    }

    /** A target that cannot be replaced (a folder where the file goes) fails the write and leaves no temp file. */
    @Test
    void aWriteThatCannotReplaceItsTargetLeavesNothingBehind() throws Exception {
        Path folder = Files.createDirectories(dir.resolve(".kiln-settings.yaml"));
        Files.writeString(folder.resolve("inside"), "x");
        assertThrows(IOException.class, () -> AtomicFiles.write(folder, "a: 1\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals(List.of(".kiln-settings.yaml"), names());
    }

    private List<String> names() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
