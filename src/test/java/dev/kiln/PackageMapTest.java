package dev.kiln;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's package map ("How Kiln is built") is the map of the code: the same packages, in import order. */
class PackageMapTest {

    static final Path README = Path.of("README.md");
    static final Path SOURCES = Path.of("src/main/java/dev/kiln");
    private static final Pattern ENTRY = Pattern.compile("^  ([a-z][a-z0-9]*)/ .*");

    @Test
    void theMapListsExactlyThePackagesUnderSrcMain() throws IOException {
        List<String> mapped = packagesInMap(Files.readString(README));
        Set<String> inCode = packagesInCode();
        TreeSet<String> missing = new TreeSet<>(inCode);
        missing.removeAll(mapped);
        TreeSet<String> extra = new TreeSet<>(mapped);
        extra.removeAll(inCode);
        assertTrue(missing.isEmpty() && extra.isEmpty(), "README's package map: missing " + missing + ", no such package " + extra);
        assertEquals(new TreeSet<>(mapped).size(), mapped.size(), "a package listed twice: " + mapped);
    }

    @Test
    void eachPackageImportsOnlyPackagesListedAboveIt() throws IOException {
        List<String> order = packagesInMap(Files.readString(README));
        JavaClasses main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS).importPackages("dev.kiln");
        Map<String, String> wrong = new TreeMap<>();
        for (JavaClass c : main) {
            String from = topPackage(c.getPackageName());
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                String to = topPackage(d.getTargetClass().getPackageName());
                if (to != null && order.contains(from) && order.indexOf(to) > order.indexOf(from)) {
                    wrong.putIfAbsent(from + " imports " + to, c.getName() + " -> " + d.getTargetClass().getName());
                }
            }
        }
        assertTrue(wrong.isEmpty(), "README's package map lists a package below one that imports it: " + wrong);
    }

    @Test
    void theParserReadsTheMapsShape() {
        String readme = "## How Kiln is built\n\n```\nsrc/main/proto/  x\nsrc/main/java/dev/kiln/   (note)\n"
                + "  errors/      A, B\n               more/ words\n  files/       C\n```\n## Next\n```\n  web/   x\n```\n";
        assertEquals(List.of("errors", "files"), packagesInMap(readme));
    }

    /** The entries of the first code block after the heading: lines "  name/  description". */
    static List<String> packagesInMap(String readme) {
        int heading = readme.indexOf("## How Kiln is built");
        assertTrue(heading >= 0, "README has no 'How Kiln is built' section");
        int open = readme.indexOf("```", heading);
        int close = readme.indexOf("```", open + 3);
        List<String> packages = new ArrayList<>();
        for (String line : readme.substring(open + 3, close).split("\n")) {
            Matcher m = ENTRY.matcher(line);
            if (m.matches()) {
                packages.add(m.group(1));
            }
        }
        return packages;
    }

    static Set<String> packagesInCode() throws IOException {
        try (Stream<Path> dirs = Files.list(SOURCES)) {
            TreeSet<String> names = new TreeSet<>();
            for (Path d : dirs.filter(Files::isDirectory).toList()) {
                names.add(d.getFileName().toString());
            }
            return names;
        }
    }

    /** "dev.kiln.registry" (or a package below it) -> "registry"; anything outside dev.kiln -> null. */
    static String topPackage(String name) {
        if (!name.startsWith("dev.kiln.")) {
            return null;
        }
        String rest = name.substring("dev.kiln.".length());
        int dot = rest.indexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }
}
