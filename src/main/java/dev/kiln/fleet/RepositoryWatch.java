package dev.kiln.fleet;

import dev.kiln.files.AtomicFiles;
import dev.kiln.catalog.ModelName;
import dev.kiln.files.RepositoryLocks;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.stream.Stream;

/**
 * Tells when something in the repository may have changed: a directory renamed in or out at the
 * top, a manifest rewritten inside a model's directory, the settings file replaced. Linux's inotify
 * sees only changes made through this kernel, which covers replicas on one node and local disks;
 * on NFS other hosts' changes arrive by polling. Temporary files and lock files are not changes.
 */
final class RepositoryWatch implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(RepositoryWatch.class);

    private final Path root;
    private final WatchService service;
    private final Runnable onChange;
    private final Thread thread;

    private RepositoryWatch(Path root, WatchService service, Runnable onChange) {
        this.root = root;
        this.service = service;
        this.onChange = onChange;
        this.thread = new Thread(this::run, "kiln-repository-watch");
        this.thread.setDaemon(true);
    }

    /** A running watch, or null when the file system offers none (polling still follows it). */
    static RepositoryWatch start(Path root, Runnable onChange) {
        try {
            WatchService service = FileSystems.getDefault().newWatchService();
            RepositoryWatch watch = new RepositoryWatch(root, service, onChange);
            watch.register(root);
            try (Stream<Path> dirs = Files.list(root)) {
                for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                    watch.registerModel(dir);
                }
            }
            watch.thread.start();
            return watch;
        } catch (IOException | UnsupportedOperationException e) {
            LOG.infof("no file watch on %s (%s): following it by polling only", root, e.getMessage());
            return null;
        }
    }

    private void register(Path dir) throws IOException {
        dir.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                StandardWatchEventKinds.ENTRY_MODIFY);
    }

    private void registerModel(Path dir) {
        if (ModelName.isValid(dir.getFileName().toString())) {
            try {
                register(dir);
            } catch (IOException e) {
                // Gone again already (renamed away by a replace): its successor is registered when it arrives.
                LOG.debugf("cannot watch %s: %s", dir, e.getMessage());
            }
        }
    }

    private void run() {
        try {
            while (true) {
                WatchKey key = service.take();
                Path dir = (Path) key.watchable();
                boolean changed = false;
                for (WatchEvent<?> event : key.pollEvents()) {
                    if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                        changed = true;
                        continue;
                    }
                    String name = event.context().toString();
                    if (name.startsWith(AtomicFiles.TEMP_PREFIX) || name.equals(RepositoryLocks.DIRECTORY)) {
                        continue;
                    }
                    changed = true;
                    if (dir.equals(root) && event.kind() == StandardWatchEventKinds.ENTRY_CREATE && Files.isDirectory(root.resolve(name))) {
                        registerModel(root.resolve(name));
                    }
                }
                key.reset();
                if (changed) {
                    onChange.run();
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // Stopped.
        } catch (RuntimeException e) {
            LOG.warnf("the repository watch stopped (%s): following it by polling only", e.getMessage());
        }
    }

    @Override
    public void close() {
        try {
            service.close();
        } catch (IOException e) {
            LOG.debugf("closing the watch: %s", e.getMessage());
        }
        thread.interrupt();
    }
}
