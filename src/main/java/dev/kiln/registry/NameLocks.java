package dev.kiln.registry;

import dev.kiln.errors.KilnError;
import dev.kiln.files.LockFile;
import dev.kiln.catalog.ModelRepository;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One lock per model name, in two layers. In this process, every operation that changes a model's
 * files or lifecycle holds the name's in-process lock (install, replace, rescan, enable, disable,
 * unload, uninstall, eviction), so a name's files and its session have one owner at a time. Those
 * that change or follow its files on disk also hold the name's lock file ({@link LockFile}), so in a
 * repository shared by several replicas one replica at a time changes a name's files, and the others
 * never read them half-changed. Loads and unloads stay in-process: memory is per replica.
 */
final class NameLocks {

    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final ModelRepository repository;

    NameLocks(ModelRepository repository) {
        this.repository = repository;
    }

    /** A held lock, released by close(). */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    Held hold(String name) {
        ReentrantLock lock = locks.computeIfAbsent(name, n -> new ReentrantLock());
        lock.lock();
        return lock::unlock;
    }

    /** The lock if nobody holds it now, else null: eviction never waits for an operator's change. */
    Held tryHold(String name) {
        ReentrantLock lock = locks.computeIfAbsent(name, n -> new ReentrantLock());
        return lock.tryLock() ? lock::unlock : null;
    }

    /**
     * The in-process lock, then the name's lock file, waiting up to {@code wait} for another
     * replica to finish its change; a 409 naming it after that.
     */
    Held holdAcrossReplicas(String name, Duration wait) {
        return holdAcrossReplicas(name, () -> repository.lockName(name, wait));
    }

    /**
     * {@link #holdAcrossReplicas} for a change of the name's files or manifest: without a real lock file
     * (one this process cannot make in a repository it may write) the change is refused with 503.
     */
    Held holdForChange(String name, Duration wait) {
        try {
            return holdAcrossReplicas(name, () -> repository.lockNameForChange(name, wait));
        } catch (LockFile.Unusable unusable) {
            throw KilnError.unavailable("model '" + name + "' cannot be changed: " + unusable.getMessage(), null);
        }
    }

    private Held holdAcrossReplicas(String name, java.util.function.Supplier<LockFile.Held> lockFile) {
        Held local = hold(name);
        try {
            LockFile.Held files = lockFile.get();
            return () -> {
                try {
                    files.close();
                } finally {
                    local.close();
                }
            };
        } catch (LockFile.Busy busy) {
            local.close();
            throw new ModelConflictException("model '" + name + "' is being changed by another replica ("
                    + (busy.holder().isEmpty() ? "unknown" : busy.holder()) + "); try again");
        } catch (RuntimeException e) {
            local.close();
            throw e;
        }
    }

    /**
     * The name's lock file alone, for a load reading the model's files: it joins a hold of this
     * process (whose changes wait for loads anyway) and waits for another replica's change.
     */
    LockFile.Held filesOnly(String name, Duration wait) {
        return repository.lockName(name, wait);
    }
}
