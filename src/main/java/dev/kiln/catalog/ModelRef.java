package dev.kiln.catalog;

import java.util.Comparator;

/** One version of one model: what a session, a queue and a set of meters belong to. */
public record ModelRef(String name, int version) implements Comparable<ModelRef> {

    private static final Comparator<ModelRef> ORDER = Comparator.comparing(ModelRef::name).thenComparingInt(ModelRef::version);

    /** The first and last refs a name's versions can have, for range reads of a sorted map. */
    public static ModelRef first(String name) {
        return new ModelRef(name, 0);
    }

    public static ModelRef last(String name) {
        return new ModelRef(name, Integer.MAX_VALUE);
    }

    @Override
    public int compareTo(ModelRef other) {
        return ORDER.compare(this, other);
    }

    /** For messages: {@code 'name'} for version 1 (every model has one), {@code 'name' version 2} for others. */
    public String label() {
        return version == 1 ? "'" + name + "'" : "'" + name + "' version " + version;
    }

    /** As {@link #label()}, without quotes: {@code name} for version 1, {@code name version 2} for others. */
    public String plainLabel() {
        return version == 1 ? name : name + " version " + version;
    }

    @Override
    public String toString() {
        return name + "/" + version;
    }
}
