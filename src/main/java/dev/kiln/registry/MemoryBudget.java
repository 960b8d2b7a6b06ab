package dev.kiln.registry;

import dev.kiln.config.AiModelsConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Whether a model would fit in memory now. With {@code ai.models.memory.budget-bytes} the budget
 * is that number less what loaded models take; without it, what the machine has available.
 */
@ApplicationScoped
public class MemoryBudget {

    private static final Path MEMINFO = Path.of("/proc/meminfo");
    private final AiModelsConfig config;
    /** Bytes held for loads under way, so two parallel loads cannot both take the last room. */
    private long reserved;

    public MemoryBudget(AiModelsConfig config) {
        this.config = config;
    }

    /** Estimated resident bytes of a model's session. */
    public long needed(ModelStatus model) {
        return (long) (model.entry().sizeBytes() * config.memory().sessionOverhead());
    }

    public long available(List<ModelStatus> all) {
        if (config.memory().budgetBytes().isPresent()) {
            long used = all.stream().filter(ModelStatus::loaded).mapToLong(this::needed).sum();
            synchronized (this) {
                return Math.max(0, config.memory().budgetBytes().getAsLong() - used - reserved);
            }
        }
        return systemAvailable();
    }

    /**
     * True when the model is enabled, its file is readable, and it is loaded or would fit in
     * {@code available} bytes (read once per view with {@link #available(List)}).
     */
    public boolean canLoad(ModelStatus model, long available) {
        if (model.state() == ModelState.DISABLED || model.entry().problem() != null) {
            return false;
        }
        if (model.loaded()) {
            return true;
        }
        return Files.isReadable(model.entry().modelFile()) && needed(model) <= available;
    }

    /**
     * Holds room for a load until the returned reservation is closed, or refuses with the numbers
     * when the model does not fit a configured budget. Without a configured budget nothing is
     * refused: the machine's own figure is too rough to turn loads away on.
     */
    public synchronized AutoCloseable reserve(ModelStatus model, List<ModelStatus> all) {
        if (config.memory().budgetBytes().isEmpty() || model.loaded()) {
            return () -> { };
        }
        long needed = needed(model);
        long available = available(all);
        if (needed > available) {
            throw new IllegalStateException("does not fit the memory budget: needs about " + mib(needed) + " MiB, "
                    + mib(available) + " MiB of ai.models.memory.budget-bytes (" + mib(config.memory().budgetBytes().getAsLong())
                    + " MiB) is free; unload a model or raise the budget");
        }
        reserved += needed;
        return () -> {
            synchronized (this) {
                reserved -= needed;
            }
        };
    }

    private static long mib(long bytes) {
        return bytes / (1024 * 1024);
    }

    static long systemAvailable() {
        try {
            for (String line : Files.readAllLines(MEMINFO)) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) * 1024L;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Not Linux, or an unusual /proc: fall back to what the JVM can see.
        }
        return Runtime.getRuntime().maxMemory() - (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
    }
}
