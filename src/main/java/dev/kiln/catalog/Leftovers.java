package dev.kiln.catalog;

import dev.kiln.files.AtomicFiles;
import dev.kiln.files.LockFile;
import dev.kiln.files.RepositoryLocks;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What a writer killed in the middle of a change (kill -9, a lost node) can leave in a shared
 * repository, and how it is put right. Each leftover belongs to a lock, and only whoever holds that
 * lock cleans it, so a change still under way in another replica is never mistaken for a crash:
 * <ul>
 *   <li>{@code .kiln-replaced-<name>} (between a replace's two renames) and
 *       {@code .kiln-tmp-uninstall-<name>-<uuid>} (an uninstall's slow delete) and
 *       {@code <name>/.kiln-tmp-*} (a manifest write): the name's lock;</li>
 *   <li>{@code .kiln-tmp-*} files at the top (a settings write): the settings lock;</li>
 *   <li>other {@code .kiln-tmp-*} directories (an install's staging): the lock its install holds
 *       for its whole life, so only a dead install's staging goes.</li>
 * </ul>
 */
public final class Leftovers {

    private static final Logger LOG = Logger.getLogger(Leftovers.class);
    static final String UNINSTALL_PREFIX = AtomicFiles.TEMP_PREFIX + "uninstall-";
    private static final int UUID_SUFFIX = 37;

    private Leftovers() {
    }

    /** Names that have a leftover of a replace or an uninstall, whether or not their model is there. */
    public static Set<String> names(Path root) {
        Set<String> names = new TreeSet<>();
        for (String entry : list(root)) {
            String name = null;
            if (entry.startsWith(ModelRepository.REPLACED_PREFIX)) {
                name = entry.substring(ModelRepository.REPLACED_PREFIX.length());
            } else if (entry.startsWith(UNINSTALL_PREFIX) && entry.length() > UNINSTALL_PREFIX.length() + UUID_SUFFIX) {
                name = entry.substring(UNINSTALL_PREFIX.length(), entry.length() - UUID_SUFFIX);
            }
            if (name != null && ModelName.isValid(name)) {
                names.add(name);
            }
        }
        return names;
    }

    /**
     * Puts the name's leftovers right; the caller holds the name's lock. A model set aside by a
     * replace comes back unless its successor is in place; an interrupted uninstall's directory and
     * half-written manifests go. True when anything was found.
     */
    public static boolean cleanName(Path root, String name) {
        boolean found = false;
        try {
            Path model = root.resolve(name);
            Path aside = root.resolve(ModelRepository.REPLACED_PREFIX + name);
            if (Files.exists(aside)) {
                found = true;
                if (Files.exists(model.resolve(ModelEntry.MODEL_FILE))) {
                    ModelRepository.deleteTree(aside);
                } else {
                    ModelRepository.deleteTree(model);
                    Files.move(aside, model, StandardCopyOption.ATOMIC_MOVE);
                    LOG.warnf("restored %s, set aside by a replace that did not finish", name);
                }
            }
            for (String entry : list(root)) {
                if (entry.startsWith(UNINSTALL_PREFIX + name + "-") && entry.length() == UNINSTALL_PREFIX.length() + name.length() + UUID_SUFFIX) {
                    found = true;
                    LOG.infof("removing %s, left by an uninstall that did not finish", entry);
                    ModelRepository.deleteTree(root.resolve(entry));
                }
            }
            if (Files.isDirectory(model)) {
                try (Stream<Path> inside = Files.list(model)) {
                    for (Path f : inside.filter(f -> f.getFileName().toString().startsWith(AtomicFiles.TEMP_PREFIX)).toList()) {
                        found = true;
                        ModelRepository.deleteTree(f);
                    }
                }
            }
            if (found) {
                AtomicFiles.syncDirectory(root);
            }
        } catch (IOException e) {
            LOG.warnf("leftovers of %s not cleaned: %s", name, e.getMessage());
        }
        return found;
    }

    /** Staging directories whose install is gone (its process died): each one's own lock tells. */
    public static void sweepStaging(Path root) {
        for (String entry : list(root)) {
            Path dir = root.resolve(entry);
            if (!entry.startsWith(AtomicFiles.TEMP_PREFIX) || entry.startsWith(UNINSTALL_PREFIX) || !Files.isDirectory(dir)) {
                continue;
            }
            LockFile.Held owner = LockFile.tryAcquireAlone(RepositoryLocks.ofStaging(root, entry));
            if (owner == null) {
                continue;
            }
            try {
                LOG.infof("removing %s, left by an install that did not finish", entry);
                ModelRepository.deleteTree(dir);
            } catch (IOException e) {
                LOG.warnf("could not remove %s: %s", entry, e.getMessage());
            } finally {
                owner.closeAndDelete();
            }
        }
    }

    /** Half-written settings files, when nobody writes the settings now. */
    public static void sweepSettingsTemps(Path root) {
        LockFile.Held held = LockFile.tryAcquireAlone(RepositoryLocks.ofSettings(root));
        if (held != null) {
            try (held) {
                AtomicFiles.deleteTempFiles(root);
            }
        }
    }

    private static List<String> list(Path root) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(root)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException | UncheckedIOException e) {
            LOG.debugf("cannot list %s: %s", root, e.getMessage());
            return List.of();
        }
    }
}
