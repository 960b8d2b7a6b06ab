package dev.kiln.files;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The lock files replicas share: held across processes, named by their holder, and let go when the holder is killed with -9. */
class LockFileTest {

    @TempDir
    Path dir;

    /** Another JVM that takes the lock, says so on stdout, and sleeps until it is killed. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            try (LockFile.Held held = LockFile.acquire(Path.of(args[0]), Duration.ofSeconds(10))) {
                System.out.println("held");
                System.out.flush();
                Thread.sleep(600_000);
            }
        }
    }

    private Process holder(Path lock) throws Exception {
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Holder.class.getName(), lock.toString()))
                .redirectErrorStream(true).start();
        byte[] line = new byte[5];
        assertEquals(5, p.getInputStream().readNBytes(line, 0, 5), "the holder started");
        assertEquals("held\n", new String(line));
        return p;
    }

    @Test
    void aLockHeldByAnotherProcessWaitsThenFailsNamingTheHolder() throws Exception {
        Path lock = dir.resolve(".kiln-locks/m.lock");
        Process other = holder(lock);
        try {
            assertNull(LockFile.tryAcquireAlone(lock), "held elsewhere");
            long start = System.nanoTime();
            LockFile.Busy busy = assertThrows(LockFile.Busy.class, () -> LockFile.acquire(lock, Duration.ofMillis(300)));
            assertTrue(System.nanoTime() - start >= 300_000_000L, "it waited");
            assertTrue(busy.holder().endsWith("/" + other.pid()), "names the holder's replica id: " + busy.holder());
        } finally {
            other.destroyForcibly().waitFor();
        }
    }

    @Test
    void killMinus9ReleasesTheLockAtOnce() throws Exception {
        Path lock = dir.resolve(".kiln-locks/m.lock");
        Process other = holder(lock);
        Thread waiter = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            }
            other.destroyForcibly();     // SIGKILL: no finally block, no shutdown hook runs
        });
        waiter.start();
        long start = System.nanoTime();
        try (LockFile.Held held = LockFile.acquire(lock, Duration.ofSeconds(20))) {
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(other.waitFor(10, TimeUnit.SECONDS));
            assertEquals(137, other.exitValue(), "killed by SIGKILL");
            assertTrue(waited >= 250 && waited < 5_000, "taken over as soon as the holder died: " + waited + " ms");
            assertEquals(ReplicaId.get(), Files.readString(lock).trim(), "the new holder wrote its id");
        }
    }

    @Test
    void threadsOfOneProcessJoinItsHoldAndTheLastOneLetsGo() throws Exception {
        Path lock = dir.resolve("x.lock");
        LockFile.Held first = LockFile.acquire(lock, Duration.ZERO);
        LockFile.Held second = LockFile.acquire(lock, Duration.ZERO);
        assertTrue(LockFile.heldHere(lock));
        assertNull(LockFile.tryAcquireAlone(lock), "a staging sweep never takes what this process holds");
        first.close();
        assertTrue(LockFile.heldHere(lock));
        second.close();
        LockFile.Held again = LockFile.tryAcquireAlone(lock);
        assertNotNull(again);
        again.closeAndDelete();
        assertTrue(Files.notExists(lock));
    }

    /**
     * A lock file that cannot be made (here its folder is a file; in a fleet, a read-only or foreign
     * .kiln-locks) proves nothing about its owner: a sweep gets no lock, so another replica's
     * download is never taken for abandoned. A change still goes on, as it did (a read-only repository).
     */
    @Test
    void aLockFileThatCannotBeMadeIsNeverTakenForAbandoned() throws Exception {
        Path notAFolder = Files.writeString(dir.resolve(".kiln-locks"), "a file where the folder should be");
        Path lock = notAFolder.resolve(".kiln-tmp-install.lock");
        assertNull(LockFile.tryAcquireAlone(lock), "the sweep must leave it");
        try (LockFile.Held change = LockFile.acquire(lock, Duration.ZERO)) {
            assertNotNull(change);
        }
        assertNull(LockFile.tryAcquireAlone(lock));
        assertEquals(lock, LockFile.failures().get(0).path(), "kept for the health report");
        LockFile.Unusable refused = org.junit.jupiter.api.Assertions.assertThrows(LockFile.Unusable.class,
                () -> LockFile.acquireForChange(lock, Duration.ZERO, dir), "a change of a writable repository needs the lock");
        assertTrue(refused.getMessage().contains("not coordinated with other replicas"), refused.getMessage());
    }

    /** Replicas of one group (fsGroup) but different users share the locks: the group may write the folder and files. */
    @Test
    void lockFilesAndTheirFolderAreWritableByTheGroup() throws Exception {
        Path lock = dir.resolve(".kiln-locks").resolve("m.lock");
        try (LockFile.Held held = LockFile.acquire(lock, Duration.ZERO)) {
            assertNotNull(held);
        }
        assertEquals(0060, (Integer) Files.getAttribute(lock, "unix:mode") & 0060, "group rw on the file");
        assertEquals(0070, (Integer) Files.getAttribute(lock.getParent(), "unix:mode") & 0070, "group rwx on the folder");

        Path older = Files.createFile(lock.resolveSibling("older.lock"),
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--")));
        try (LockFile.Held held = LockFile.acquire(older, Duration.ZERO)) {
            assertNotNull(held);
        }
        assertEquals(0060, (Integer) Files.getAttribute(older, "unix:mode") & 0060, "one made before (an upgrade) is shared too");
    }

    /** Every lock file that cannot be made is kept for the health report, not only the last one; one made since is dropped. */
    @Test
    void eachLockFileThatCannotBeMadeIsKeptUntilItIsMade() throws Exception {
        Path locks = Files.createDirectories(dir.resolve(".kiln-locks"));
        Path first = Files.createDirectories(locks.resolve("first.lock"));
        Path second = Files.createDirectories(locks.resolve("second.lock"));
        for (Path lock : java.util.List.of(first, second)) {
            try (LockFile.Held held = LockFile.acquire(lock, Duration.ZERO)) {
                assertNotNull(held);
            }
        }
        java.util.List<Path> failed = LockFile.failures().stream().map(LockFile.Failure::path).toList();
        assertTrue(failed.contains(first) && failed.contains(second), failed.toString());
        Files.delete(first);
        try (LockFile.Held held = LockFile.acquire(first, Duration.ZERO)) {
            assertNotNull(held);
        }
        assertTrue(LockFile.failures().stream().noneMatch(f -> f.path().equals(first)), "made since: dropped");
    }

    /**
     * A lock file that is a link is never written through: taking a lock writes the replica's id into
     * the file, and a link placed by anyone who may write the repository would aim that at another file.
     */
    @Test
    void aLockFileThatIsALinkIsNotWrittenThrough() throws Exception {
        Path victim = Files.writeString(dir.resolve("victim.txt"), "important data");
        Path locks = Files.createDirectories(dir.resolve(".kiln-locks"));
        Path symbolic = Files.createSymbolicLink(locks.resolve("s.lock"), victim);
        Path hard = Files.createLink(locks.resolve("h.lock"), victim);
        for (Path lock : java.util.List.of(symbolic, hard)) {
            try (LockFile.Held held = LockFile.acquire(lock, Duration.ZERO)) {
                assertNotNull(held);
            }
            assertNull(LockFile.tryAcquireAlone(lock), lock + ": not a lock file, so nothing it guards is swept");
            assertEquals(lock, LockFile.failures().get(0).path());
        }
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Path linkedFolder = Files.createSymbolicLink(Files.createDirectories(dir.resolve("repo")).resolve(".kiln-locks"), elsewhere);
        try (LockFile.Held held = LockFile.acquire(linkedFolder.resolve("m.lock"), Duration.ZERO)) {
            assertNotNull(held);
        }
        assertTrue(Files.notExists(elsewhere.resolve("m.lock")), "no lock file made through a linked folder");
        assertEquals("important data", Files.readString(victim), "the linked file is untouched");
    }
}
