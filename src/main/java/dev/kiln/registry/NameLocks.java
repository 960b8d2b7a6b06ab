package dev.kiln.registry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One lock per model name, shared by every operation that changes a model's files or lifecycle:
 * install, replace, rescan, enable, disable, unload and uninstall. A name's files and its session
 * therefore have one owner at a time.
 */
final class NameLocks {

    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

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
}
