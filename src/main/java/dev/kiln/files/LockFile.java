package dev.kiln.files;

import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A lock on one file of the shared repository, held across processes and hosts: a POSIX record
 * lock (fcntl, through {@link FileChannel#tryLock()}). The kernel drops it when its process dies,
 * kill -9 included, so a crashed replica never leaves a name locked; over NFSv4 the server does, when
 * the client host itself is gone and its lease runs out. No lease files, clocks or heartbeats.
 * <p>
 * Java holds such locks for the whole JVM, and closing any other descriptor of the file would drop
 * them, so this class is the only one that opens lock files, with one channel per file: a thread
 * asking for a lock that another thread of this JVM holds joins it ({@link #acquire}); callers order
 * themselves within the JVM (the registry's per-name locks). Lock files are never deleted while a
 * name may be locked again: another process could hold the old file while a third locks a new one.
 */
public final class LockFile {

    private static final Logger LOG = Logger.getLogger(LockFile.class);
    private static final long POLL_MILLIS = 20;
    private static final Map<Path, LockFile> OPEN = new ConcurrentHashMap<>();
    private static final AtomicBoolean WARNED = new AtomicBoolean();
    /** Lock files that could not be made, and why, for the health report: the newest few, each until it is made. */
    private static final Map<Path, Failure> FAILURES = new ConcurrentHashMap<>();
    private static final int FAILURES_KEPT = 16;

    /** A lock file that could not be made: where, why and when. */
    public record Failure(Path path, String message, java.time.Instant at) {
    }

    private final Path path;
    private FileChannel channel;
    private FileLock lock;
    private int holders;
    /** Taken by {@link #tryAcquireAlone}: nobody joins it (a sweep must not delete what a joining writer writes). */
    private boolean alone;
    /** Out of {@link #OPEN}: a later caller makes a new object for the path. */
    private boolean retired;

    private LockFile(Path path) {
        this.path = path;
    }

    /** Another process held the lock for longer than the caller would wait. */
    public static final class Busy extends RuntimeException {
        private final String holder;

        Busy(Path path, String holder) {
            super("locked by " + (holder.isEmpty() ? "another process" : holder) + ": " + path.getFileName());
            this.holder = holder;
        }

        /** The replica id the holder wrote into the file, or empty. */
        public String holder() {
            return holder;
        }
    }

    /** A lock file that cannot be made where a change needs it: the change must not go on uncoordinated. */
    public static final class Unusable extends RuntimeException {
        Unusable(String message) {
            super(message);
        }
    }

    /** A hold on the lock, given back by {@link #close()}. */
    public static final class Held implements AutoCloseable {
        private final LockFile file;
        private boolean closed;

        private Held(LockFile file) {
            this.file = file;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                if (file != null) {
                    file.release(false);
                }
            }
        }

        /** Removes the lock file while still holding it, then lets go: for locks of things that are gone for good. */
        public void closeAndDelete() {
            if (!closed) {
                closed = true;
                if (file != null) {
                    file.release(true);
                }
            }
        }
    }

    /**
     * Holds the lock, joining this JVM's hold when another thread has it, else waiting up to
     * {@code wait} for other processes to let go ({@link Busy} after that).
     */
    public static Held acquire(Path path, Duration wait) {
        long deadline = System.nanoTime() + Math.max(0, wait.toNanos());
        while (true) {
            LockFile f = OPEN.computeIfAbsent(path.toAbsolutePath().normalize(), LockFile::new);
            synchronized (f) {
                if (f.retired) {
                    continue;
                }
                if (f.holders > 0 && !f.alone) {
                    f.holders++;
                    return new Held(f);
                }
                if (f.holders == 0) {
                    return f.lockBy(deadline);
                }
            }
            if (System.nanoTime() >= deadline) {
                throw new Busy(path, ReplicaId.get());
            }
            pause();
        }
    }

    /**
     * {@link #acquire} for a change of the repository at {@code root}: when this process may write the
     * repository but not make the lock file, other replicas could change the same files at the same
     * time, so the change is refused ({@link Unusable}). A read-only repository needs no lock: nothing
     * here can change it.
     */
    public static Held acquireForChange(Path path, Duration wait, Path root) {
        Held held = acquire(path, wait);
        if (held.file == null && Files.isWritable(root)) {
            held.close();
            String why = java.util.Optional.ofNullable(FAILURES.get(path.toAbsolutePath().normalize())).map(Failure::message).orElse("unknown");
            throw new Unusable("lock file " + path + " cannot be made (" + why + "), and a change without it is not"
                    + " coordinated with other replicas; every replica must be able to write " + path.getParent()
                    + " (one user, or one group: fsGroup)");
        }
        return held;
    }

    private static void pause() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Busy(Path.of("interrupted"), "");
        }
    }

    /**
     * The lock only when nobody, in this JVM or elsewhere, holds it now; else null. Also null when the
     * lock file cannot be made: then nobody can tell whether its owner lives, and what the caller
     * would sweep (another replica's download, say) must stay.
     */
    public static Held tryAcquireAlone(Path path) {
        while (true) {
            LockFile f = OPEN.computeIfAbsent(path.toAbsolutePath().normalize(), LockFile::new);
            synchronized (f) {
                if (f.retired) {
                    continue;
                }
                if (f.holders > 0) {
                    return null;
                }
                try {
                    Held held = f.lockBy(System.nanoTime());
                    f.alone = held.file != null;
                    return f.alone ? held : null;
                } catch (Busy busy) {
                    return null;
                }
            }
        }
    }

    /** Whether a thread of this JVM holds the lock now. */
    public static boolean heldHere(Path path) {
        LockFile f = OPEN.get(path.toAbsolutePath().normalize());
        if (f == null) {
            return false;
        }
        synchronized (f) {
            return !f.retired && f.holders > 0;
        }
    }

    /** Called with the monitor held and no holder: takes the file lock, trying until the deadline. */
    private Held lockBy(long deadline) {
        try {
            if (channel == null) {
                channel = openWithoutLinks();
                FAILURES.remove(path);
            }
        } catch (IOException | UnsupportedOperationException e) {
            remember(new Failure(path, String.valueOf(e.getMessage()), java.time.Instant.now()));
            // A read-only repository has no writers to exclude; its readers go on without the lock, and a
            // change of a writable one is refused by acquireForChange. The health report names each failure.
            if (WARNED.compareAndSet(false, true)) {
                LOG.warnf("cannot create lock files in %s (%s): reads go on without them; changes of a writable repository"
                        + " are refused until every replica can write there", path.getParent(), e.getMessage());
            }
            retire();
            return new Held(null);
        }
        try {
            while (true) {
                FileLock taken = channel.tryLock();
                if (taken != null) {
                    lock = taken;
                    holders = 1;
                    writeOwner();
                    return new Held(this);
                }
                if (System.nanoTime() >= deadline) {
                    String holder = readOwner();
                    retire();
                    throw new Busy(path, holder);
                }
                Thread.sleep(POLL_MILLIS);
            }
        } catch (IOException | OverlappingFileLockException e) {
            retire();
            throw new Busy(path, "this process (" + e.getMessage() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            retire();
            throw new Busy(path, "");
        }
    }

    /**
     * Opens the lock file never through a link. Whoever may write the shared repository could point a
     * lock file, or its folder, at any file this process may write, and taking the lock writes the
     * replica's id into it. So the folder is opened without following a link, and the file relative to
     * that open folder without following one either: a swap between a check and the open finds nothing
     * to follow. The file must then be a regular file with no other name (a hard link).
     */
    private FileChannel openWithoutLinks() throws IOException {
        Path folder = path.getParent();
        if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(folder);
            shareWithGroup(folder, 0070);
        }
        try (DirectoryStream<Path> above = Files.newDirectoryStream(folder.getParent())) {
            if (!(above instanceof SecureDirectoryStream<Path> secureAbove)) {
                throw new IOException("this file system cannot open a file relative to an open folder");
            }
            try (SecureDirectoryStream<Path> locks = secureAbove.newDirectoryStream(folder.getFileName(), LinkOption.NOFOLLOW_LINKS)) {
                Path name = path.getFileName();
                PosixFileAttributeView view = locks.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
                FileChannel opened = (FileChannel) locks.newByteChannel(name, java.util.Set.of(StandardOpenOption.CREATE,
                        StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS));
                Object links = Files.getAttribute(path, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
                if (!view.readAttributes().isRegularFile() || links instanceof Integer n && n != 1) {
                    opened.close();
                    throw new IOException("not a lock file of Kiln's (a link, or not a regular file); remove it");
                }
                shareWithGroup(view); // also one made before Kiln did this (an upgrade), when this process owns it
                return opened;
            }
        } catch (java.nio.file.FileSystemException e) {
            throw new IOException(e.getFile() + ": " + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName())
                    + (Files.isSymbolicLink(folder) ? " (" + folder.getFileName() + " is a link; it must be a folder of the repository)" : ""), e);
        }
    }

    /** A lock file's group may read and write it (set through the view of the open folder: no link followed). */
    private static void shareWithGroup(PosixFileAttributeView view) {
        try {
            java.util.Set<java.nio.file.attribute.PosixFilePermission> perms = java.util.EnumSet.copyOf(view.readAttributes().permissions());
            if (perms.add(java.nio.file.attribute.PosixFilePermission.GROUP_READ)
                    | perms.add(java.nio.file.attribute.PosixFilePermission.GROUP_WRITE)) {
                view.setPermissions(perms);
            }
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debugf("cannot let the group write a lock file: %s", e.getMessage());
        }
    }

    /** The lock files that could not be made and have not been made since, newest first. */
    public static List<Failure> failures() {
        return FAILURES.values().stream().sorted(java.util.Comparator.comparing(Failure::at).reversed()).toList();
    }

    private static void remember(Failure failure) {
        FAILURES.put(failure.path(), failure);
        if (FAILURES.size() > FAILURES_KEPT) {
            failures().stream().skip(FAILURES_KEPT).forEach(old -> FAILURES.remove(old.path(), old));
        }
    }

    /**
     * Lets the file's group read and write it (and a folder's, make files in it): replicas that run
     * as different users of one group (Kubernetes' fsGroup) then share the locks, where a file only
     * its maker may write would leave the others unable to lock. Other bits (setgid) are kept. Best effort.
     */
    private static void shareWithGroup(Path file, int groupBits) {
        try {
            // Not through a link (the mode is changed on a descriptor opened with O_NOFOLLOW); setgid is kept.
            int mode = (Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if ((mode & groupBits) != groupBits) {
                Files.setAttribute(file, "unix:mode", (mode & 07777) | groupBits, LinkOption.NOFOLLOW_LINKS);
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            LOG.debugf("cannot let the group write %s: %s", file, e.getMessage());
        }
    }

    private synchronized void release(boolean delete) {
        if (--holders > 0) {
            return;
        }
        try {
            if (delete) {
                Files.deleteIfExists(path);
            }
            lock.release();
        } catch (IOException e) {
            LOG.debugf("releasing %s: %s", path, e.getMessage());
        }
        retire();
    }

    /** Closes the channel (which drops any lock it holds) and leaves the map to a new object. */
    private void retire() {
        retired = true;
        lock = null;
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debugf("closing %s: %s", path, e.getMessage());
            }
            channel = null;
        }
        OPEN.remove(path, this);
    }

    /** For operators and for the message a waiting replica gets: who holds it. Written through the locked channel only. */
    private void writeOwner() {
        try {
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ReplicaId.get() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        } catch (IOException e) {
            LOG.debugf("cannot note the owner of %s: %s", path, e.getMessage());
        }
    }

    private String readOwner() {
        try {
            ByteBuffer buf = ByteBuffer.allocate(256);
            channel.read(buf, 0);
            return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "";
        }
    }
}
