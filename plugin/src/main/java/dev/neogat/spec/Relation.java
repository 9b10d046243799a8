package dev.neogat.spec;

import java.util.Objects;

/**
 * A relation of a typed graph: edges of one relationship type from nodes of one type to nodes of another
 * (or the same) type, as PyG's edge type {@code (source, name, target)}. Messages flow from source to
 * target: the target attends to its sources.
 */
public record Relation(String sourceType, String name, String targetType) {

    /** Prefix of the relation that PyG's {@code ToUndirected} adds for the reverse of a relation. */
    public static final String REVERSE_PREFIX = "rev_";

    public Relation {
        requireName(sourceType, "source type");
        requireName(name, "relation name");
        requireName(targetType, "target type");
    }

    private static void requireName(String value, String what) {
        Objects.requireNonNull(value, what);
        if (value.isBlank()) {
            throw new IllegalArgumentException("A relation's " + what + " must not be blank");
        }
    }

    /** Between two node types: sources and targets are indexed in their own types, and there are no self loops. */
    public boolean isBipartite() {
        return !sourceType.equals(targetType);
    }

    /** The relation read backwards, named {@code rev_<name>} as PyG's {@code ToUndirected} names it. */
    public Relation reversed() {
        return new Relation(targetType, REVERSE_PREFIX + name, sourceType);
    }

    /** The name of this relation's parameters, PyG's {@code HeteroConv} module key: {@code source__name__target}. */
    public String key() {
        return sourceType + "__" + name + "__" + targetType;
    }

    @Override
    public String toString() {
        return "(" + sourceType + ")-[" + name + "]->(" + targetType + ")";
    }
}
