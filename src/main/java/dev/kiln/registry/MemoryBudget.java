package dev.kiln.registry;

import dev.kiln.catalog.ModelEntry;
import dev.kiln.config.AiModelsConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The memory models may take, and what they take now. Every session that is open counts (serving,
 * draining, retired by a replace, or opened for a replace not yet swapped in), and so does every
 * load under way, from the moment room is reserved for it until its session is closed. The budget
 * is {@code ai.models.memory.budget-bytes}, else {@code budget-percent} of the container's memory
 * limit (or of the machine's memory when the container has none) less the Java heap's maximum.
 */
@ApplicationScoped
public class MemoryBudget {

    /** Room held for a load, or the memory of one open session. */
    public static final class Charge {
        final String model;
        long bytes;

        Charge(String model, long bytes) {
            this.model = model;
            this.bytes = bytes;
        }
    }

    private final long budget;
    private final String source;
    private final OptionalInt maxLoaded;
    private final double overhead;
    private final Map<Charge, Boolean> charges = new IdentityHashMap<>();

    public MemoryBudget(AiModelsConfig config) {
        AiModelsConfig.Memory m = config.memory();
        if (m.budgetBytes().isPresent()) {
            budget = m.budgetBytes().getAsLong();
            source = "ai.models.memory.budget-bytes";
        } else {
            // Models live outside the Java heap: the share is of what the heap cannot take.
            ContainerMemory limit = ContainerMemory.detect();
            long heap = Runtime.getRuntime().maxMemory();
            budget = Math.max(0, limit.bytes() - heap) * m.budgetPercent() / 100;
            source = m.budgetPercent() + "% of " + mib(limit.bytes()) + " MiB (" + limit.source() + ") less the "
                    + mib(heap) + " MiB Java heap";
        }
        this.maxLoaded = maxLoadedModels(config);
        this.overhead = m.sessionOverhead();
    }

    public long budgetBytes() {
        return budget;
    }

    /** Where the budget comes from, for messages and views. */
    public String source() {
        return source;
    }

    /** memory.max-loaded-models, else its short form ai.models.max-loaded-models. */
    public static OptionalInt maxLoadedModels(AiModelsConfig config) {
        OptionalInt full = config.memory().maxLoadedModels();
        return full.isPresent() ? full : config.maxLoadedModels();
    }

    public OptionalInt maxLoadedModels() {
        return maxLoaded;
    }

    /** Bytes a model will take: what it took last time it was measured, else its files × the overhead. */
    public long estimate(ModelEntry entry, Long measured) {
        return measured != null ? measured : (long) (entry.sizeBytes() * overhead);
    }

    public synchronized long used() {
        long n = 0;
        for (Charge c : charges.keySet()) {
            n += c.bytes;
        }
        return n;
    }

    public synchronized long free() {
        return Math.max(0, budget - used());
    }

    synchronized Charge charge(String model, long bytes) {
        Charge c = new Charge(model, bytes);
        charges.put(c, Boolean.TRUE);
        return c;
    }

    /** A reservation becomes the session's charge, at what was measured. */
    synchronized void adjust(Charge c, long bytes) {
        c.bytes = bytes;
    }

    synchronized void release(Charge c) {
        if (c != null) {
            charges.remove(c);
        }
    }

    /**
     * Whether each model could load now: enabled, file readable, and small enough to fit beside the
     * models that could not be unloaded for it (required, pinned or busy). Read once per view.
     */
    public java.util.function.Predicate<ModelStatus> loadable(java.util.List<ModelStatus> all, ResidencyPolicy residency) {
        long held = all.stream().filter(m -> m.loaded() && (residency.mustBeResident(m) || m.pinned() || m.inFlight() > 0))
                .mapToLong(ModelStatus::memoryBytes).sum();
        return m -> m.loaded() || m.state() != ModelState.DISABLED && m.state() != ModelState.REMOVED
                && m.entry().problem() == null && java.nio.file.Files.isReadable(m.entry().modelFile())
                && m.memoryBytes() <= budget - held;
    }

    public static long mib(long bytes) {
        return bytes / (1024 * 1024);
    }
}
