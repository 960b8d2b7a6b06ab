package dev.kiln.catalog;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.runtime.annotations.RegisterForReflection;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * {@code version_policy} in model.yaml, with Triton's meaning: {@code all} versions on disk,
 * the {@code latest: N} (highest numbers), or {@code specific: [1, 3]}. Written {@code all},
 * {@code {latest: 2}} or {@code {specific: [1, 3]}}. A policy that cannot be read keeps why in
 * {@link #problem()}, so the model is FAILED with that reason rather than the whole file refused
 * with a parser's words.
 */
@RegisterForReflection
public record VersionPolicy(Integer latest, List<Integer> specific, String problem) {

    public static final VersionPolicy ALL = new VersionPolicy(null, null, null);
    static final int MAX_LATEST = 1000;
    static final int MAX_SPECIFIC = 64;

    public static VersionPolicy latest(int n) {
        return new VersionPolicy(n, null, null);
    }

    public static VersionPolicy specific(List<Integer> versions) {
        return new VersionPolicy(null, List.copyOf(versions), null);
    }

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static VersionPolicy of(JsonNode node) {
        if (node == null || node.isNull()) {
            return ALL;
        }
        if (node.isTextual()) {
            return "all".equals(node.asText()) ? ALL : invalid("'" + node.asText() + "' is not a policy");
        }
        if (!node.isObject() || node.size() != 1) {
            return invalid("must be all, {latest: N} or {specific: [versions]}");
        }
        Map.Entry<String, JsonNode> only = node.fields().next();
        JsonNode value = only.getValue();
        return switch (only.getKey()) {
            case "all" -> value.isNull() || value.isBoolean() && value.asBoolean() || value.isObject() && value.isEmpty()
                    ? ALL : invalid("all takes no value");
            case "latest" -> value.isIntegralNumber() && value.canConvertToInt() && value.asInt() >= 1 && value.asInt() <= MAX_LATEST
                    ? latest(value.asInt()) : invalid("latest must be a whole number from 1 to " + MAX_LATEST);
            case "specific" -> specificOf(value);
            default -> invalid("'" + only.getKey() + "' is not a policy: use all, latest or specific");
        };
    }

    private static VersionPolicy specificOf(JsonNode list) {
        if (!list.isArray() || list.isEmpty() || list.size() > MAX_SPECIFIC) {
            return invalid("specific must list 1 to " + MAX_SPECIFIC + " versions");
        }
        LinkedHashSet<Integer> versions = new LinkedHashSet<>();
        for (Iterator<JsonNode> it = list.elements(); it.hasNext(); ) {
            JsonNode v = it.next();
            if (!v.isIntegralNumber() || !v.canConvertToInt() || !VersionNumber.isValid(v.asInt())) {
                return invalid("specific lists '" + v.asText() + "'; versions are whole numbers from 1 to " + VersionNumber.MAX);
            }
            versions.add(v.asInt());
        }
        return specific(new ArrayList<>(versions));
    }

    private static VersionPolicy invalid(String why) {
        return new VersionPolicy(null, null, why);
    }

    @JsonValue
    Object written() {
        if (latest != null) {
            return Map.of("latest", latest);
        }
        if (specific != null) {
            return Map.of("specific", specific);
        }
        return "all";
    }

    /** The versions this policy serves out of those on disk (ascending), Triton's way. */
    public List<Integer> select(List<Integer> onDisk) {
        List<Integer> sorted = onDisk.stream().sorted().toList();
        if (latest != null) {
            return sorted.subList(Math.max(0, sorted.size() - latest), sorted.size());
        }
        if (specific != null) {
            return sorted.stream().filter(specific::contains).toList();
        }
        return sorted;
    }

    /** As an operator wrote it: {@code all}, {@code latest: 2}, {@code specific: [1, 3]}. */
    @JsonIgnore
    public String text() {
        return latest != null ? "latest: " + latest : specific != null ? "specific: " + specific : "all";
    }
}
