package dev.kiln.catalog;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * {@code routing} in model.yaml: where a model's traffic goes between its versions.
 * <ul>
 *   <li>{@code aliases}: names (stable, canary, any word) for versions, usable wherever a version is;</li>
 *   <li>{@code weights}: how unversioned calls are split, per target (an alias or a version number);</li>
 *   <li>{@code shadow}: a target that also gets a copy of {@code shadow_percent} % of unversioned
 *       calls (100 when absent), whose answers are compared with the primary's but never returned;</li>
 *   <li>{@code rollback}: where a promote moved aliases from, so one call can put them back.</li>
 * </ul>
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@RegisterForReflection
public record Routing(Map<String, Integer> aliases, Map<String, Integer> weights, String shadow, Integer shadowPercent,
                      Map<String, Integer> rollback) {

    public static final Routing NONE = new Routing(null, null, null, null, null);
    public static final String STABLE = "stable";
    public static final String CANARY = "canary";
    private static final Pattern ALIAS = Pattern.compile("[a-z][a-z0-9_-]{0,31}");
    static final int MAX_ALIASES = 32;
    static final int MAX_TARGETS = 16;
    static final int MAX_WEIGHT = 10_000;

    public static boolean isAlias(String name) {
        return name != null && ALIAS.matcher(name).matches();
    }

    public Map<String, Integer> aliasesOrEmpty() {
        return aliases == null ? Map.of() : aliases;
    }

    /** The version a target names now: an alias's version, or the number itself; empty when it names nothing. */
    public OptionalInt resolve(String target) {
        OptionalInt number = VersionNumber.parse(target);
        if (number.isPresent()) {
            return number;
        }
        Integer aliased = aliasesOrEmpty().get(target);
        return aliased == null ? OptionalInt.empty() : OptionalInt.of(aliased);
    }

    /** The aliases that name this version, in their order. */
    public List<String> aliasesOf(int version) {
        List<String> out = new ArrayList<>();
        aliasesOrEmpty().forEach((alias, v) -> {
            if (v == version) {
                out.add(alias);
            }
        });
        return out;
    }

    /** Shadowed share of unversioned calls, 0 to 100. */
    @JsonIgnore
    public int shadowShare() {
        return shadow == null ? 0 : shadowPercent == null ? 100 : shadowPercent;
    }

    @JsonIgnore
    public boolean isEmpty() {
        return equals(NONE);
    }

    public Routing withAlias(String alias, Integer version) {
        Map<String, Integer> next = new LinkedHashMap<>(aliasesOrEmpty());
        if (version == null) {
            next.remove(alias);
        } else {
            next.put(alias, version);
        }
        return new Routing(next.isEmpty() ? null : next, weights, shadow, shadowPercent, rollback);
    }

    public Routing withWeights(Map<String, Integer> next) {
        return new Routing(aliases, next == null || next.isEmpty() ? null : next, shadow, shadowPercent, rollback);
    }

    public Routing withRollback(Map<String, Integer> next) {
        return new Routing(aliases, weights, shadow, shadowPercent, next == null || next.isEmpty() ? null : next);
    }

    /** The versions unversioned calls reach or are copied to: the stable alias's, each weighted target's, the shadow's. */
    @JsonIgnore
    public java.util.Set<Integer> reached() {
        java.util.Set<Integer> out = weighted();
        Integer stable = aliasesOrEmpty().get(STABLE);
        if (stable != null) {
            out.add(stable);
        }
        if (shadow != null) {
            resolve(shadow).ifPresent(out::add);
        }
        return out;
    }

    /** The versions the weights give a share above 0 (their targets resolved), in version order. */
    @JsonIgnore
    public java.util.Set<Integer> weighted() {
        java.util.Set<Integer> out = new java.util.TreeSet<>();
        if (weights != null) {
            weights.forEach((target, w) -> {
                if (w != null && w > 0) {
                    resolve(target).ifPresent(out::add);
                }
            });
        }
        return out;
    }

    /** What is wrong with this routing's own form (names, ranges, targets that name nothing); empty when nothing. */
    public List<String> problems() {
        List<String> out = new ArrayList<>();
        if (aliasesOrEmpty().size() > MAX_ALIASES) {
            out.add("routing.aliases has " + aliasesOrEmpty().size() + " aliases; allowed at most " + MAX_ALIASES);
        }
        aliasesOrEmpty().forEach((alias, v) -> {
            if (!isAlias(alias)) {
                out.add("routing.aliases '" + alias + "' is not an alias name: a lowercase letter, then letters, digits, - or _ (at most 32)");
            }
            if (v == null || !VersionNumber.isValid(v)) {
                out.add("routing.aliases." + alias + " must be a version number from 1 to " + VersionNumber.MAX);
            }
        });
        if (weights != null) {
            if (weights.size() > MAX_TARGETS) {
                out.add("routing.weights has " + weights.size() + " targets; allowed at most " + MAX_TARGETS);
            }
            weights.forEach((target, w) -> {
                if (resolve(target).isEmpty()) {
                    out.add("routing.weights names '" + target + "', which is neither a version number nor an alias");
                }
                if (w == null || w < 0 || w > MAX_WEIGHT) {
                    out.add("routing.weights." + target + " must be from 0 to " + MAX_WEIGHT);
                }
            });
            if (weights.values().stream().allMatch(w -> w == null || w <= 0)) {
                out.add("routing.weights must give some target a weight above 0");
            }
        }
        if (shadow != null && resolve(shadow).isEmpty()) {
            out.add("routing.shadow names '" + shadow + "', which is neither a version number nor an alias");
        }
        if (shadowPercent != null && (shadowPercent < 0 || shadowPercent > 100)) {
            out.add("routing.shadow_percent is " + shadowPercent + "; allowed 0 to 100");
        }
        if (rollback != null) {
            rollback.forEach((alias, v) -> {
                if (!isAlias(alias) || v == null || !VersionNumber.isValid(v)) {
                    out.add("routing.rollback." + alias + " must be an alias and a version number");
                }
            });
        }
        return out;
    }
}
