package dev.kiln.pipelines;

import dev.kiln.errors.KilnError;
import dev.kiln.registry.Lease;
import dev.kiln.registry.MemoryBudget;
import dev.kiln.registry.ModelRegistry;
import dev.kiln.registry.ModelStatus;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A running pipeline's hold on its models: a lease on every one of them, taken together before its
 * first model step and kept until the request ends, so none of them is evicted, unloaded or replaced
 * under it (a model whose load is needed loads first, one load however many wait). The memory
 * budget counts the models together: a pipeline whose models cannot all be loaded at once
 * (more of them than max-loaded-models, or more bytes than the whole budget) is refused with 507
 * before anything loads, rather than evicting its own models one after the other.
 */
@ApplicationScoped
public class PipelineLeases {

    private final ModelRegistry registry;
    private final MemoryBudget memory;
    private final StepPool pool;

    public PipelineLeases(ModelRegistry registry, MemoryBudget memory, StepPool pool) {
        this.registry = registry;
        this.memory = memory;
        this.pool = pool;
    }

    /**
     * Leases on every model of the plan, answered on the step pool. When one cannot be had, the
     * others are given back and the first refusal is the answer (404, 409 disabled, 503, 507).
     */
    CompletableFuture<List<Lease>> acquire(PipelinePlan plan) {
        try {
            fits(plan);
        } catch (KilnError e) {
            return CompletableFuture.failedFuture(e);
        }
        List<CompletableFuture<Lease>> pending = new ArrayList<>();
        for (String m : plan.models()) {
            try {
                pending.add(registry.lease(m));
            } catch (RuntimeException e) {
                pending.add(CompletableFuture.failedFuture(e));
            }
        }
        return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).handleAsync((done, failure) -> {
            List<Lease> held = new ArrayList<>();
            for (CompletableFuture<Lease> p : pending) {
                if (!p.isCompletedExceptionally()) {
                    held.add(p.join());
                }
            }
            if (failure != null) {
                held.forEach(Lease::close);
                throw failure instanceof CompletionException c ? c : new CompletionException(failure);
            }
            return held;
        }, pool);
    }

    private void fits(PipelinePlan plan) {
        int n = plan.models().size();
        if (memory.maxLoadedModels().isPresent() && n > memory.maxLoadedModels().getAsInt()) {
            throw new KilnError(KilnError.Kind.INSUFFICIENT_MEMORY, "pipeline '" + plan.name() + "' runs " + n + " models, which are"
                    + " loaded together, and ai.models.memory.max-loaded-models is " + memory.maxLoadedModels().getAsInt(), null, null);
        }
        long need = plan.models().stream().mapToLong(m -> registry.findStable(m).map(ModelStatus::memoryBytes).orElse(0L)).sum();
        if (need > memory.budgetBytes()) {
            throw new KilnError(KilnError.Kind.INSUFFICIENT_MEMORY, "pipeline '" + plan.name() + "' needs about " + MemoryBudget.mib(need)
                    + " MiB for its models together, more than the whole " + MemoryBudget.mib(memory.budgetBytes()) + " MiB budget ("
                    + memory.source() + ")", null, null);
        }
    }
}
