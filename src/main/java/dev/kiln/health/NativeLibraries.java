package dev.kiln.health;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Finds shared libraries the way the dynamic loader would look for them (LD_LIBRARY_PATH, then
 * the usual CUDA and system directories), without loading anything.
 */
final class NativeLibraries {

    private static final List<String> STANDARD_DIRS = List.of("/usr/local/cuda/lib64",
            "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
            "/usr/lib64", "/usr/lib", "/usr/local/lib");

    private final List<Path> dirs;

    NativeLibraries() {
        Set<String> all = new LinkedHashSet<>();
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String d : ld.split(File.pathSeparator)) {
                if (!d.isBlank()) {
                    all.add(d);
                }
            }
        }
        all.addAll(STANDARD_DIRS);
        this.dirs = all.stream().map(Path::of).filter(Files::isDirectory).toList();
    }

    Optional<Path> find(String soname) {
        for (Path dir : dirs) {
            Path p = dir.resolve(soname);
            if (Files.exists(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The sonames of the list that cannot be found. */
    List<String> missing(List<String> sonames) {
        List<String> out = new ArrayList<>();
        for (String s : sonames) {
            if (find(s).isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    /** Full version from the file the soname points to (libcudart.so.12 → 12.4.127), when it says. */
    Optional<String> version(String soname) {
        return find(soname).map(p -> {
            try {
                String real = p.toRealPath().getFileName().toString();
                int at = real.indexOf(".so.");
                return at < 0 ? null : real.substring(at + 4);
            } catch (IOException e) {
                return null;
            }
        });
    }

    String searched() {
        return dirs.toString();
    }
}
