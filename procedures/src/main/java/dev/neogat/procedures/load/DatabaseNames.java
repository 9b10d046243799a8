package dev.neogat.procedures.load;

import dev.neogat.procedures.config.ConfigMap;
import dev.neogat.procedures.config.ProjectionConfig;
import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.RelationshipType;
import org.neo4j.graphdb.Transaction;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Checks every name a configuration gives against the database's tokens before anything is read: node
 * labels and relationship types in use, and property keys. A name the database does not have fails with
 * one message naming the key and what was not found, a did-you-mean where one is close, and what the
 * database has. Token look-ups read the token and counts stores only, so they cost nothing on a large
 * graph. Each kind of name is checked by {@link #require}; a new kind of input is one more call of it.
 */
public final class DatabaseNames {

    /** At most this many available names are listed in a message. */
    private static final int LISTED = 50;

    /** A kind of token, with the words a message uses for it. */
    public enum Kind {
        NODE_LABEL("node labels"), RELATIONSHIP_TYPE("relationship types"), PROPERTY_KEY("property keys");

        private final String plural;

        Kind(String plural) {
            this.plural = plural;
        }
    }

    private final Transaction tx;
    private final Map<Kind, Set<String>> available = new EnumMap<>(Kind.class);

    public DatabaseNames(Transaction tx) {
        this.tx = tx;
    }

    /**
     * The names of a projection: its labels, relationship types, feature and relationship feature properties, and
     * the label and split properties when not null.
     */
    public static void requireProjection(Transaction tx, ProjectionConfig projection, String labelProperty,
                                         String splitProperty) {
        DatabaseNames names = new DatabaseNames(tx);
        names.require(Kind.NODE_LABEL, "nodeLabels", projection.nodeLabels());
        names.require(Kind.RELATIONSHIP_TYPE, "relationshipTypes", projection.relationshipTypes());
        names.require(Kind.PROPERTY_KEY, "featureProperties", projection.featureProperties());
        if (projection.relationshipFeatures() != null) {
            if (projection.relationshipFeatures().byType() != null) {
                names.require(Kind.RELATIONSHIP_TYPE, "relationshipFeatures types",
                        List.copyOf(projection.relationshipFeatures().byType().keySet()));
            }
            names.require(Kind.PROPERTY_KEY, "relationshipFeatures", projection.relationshipFeatures().allProperties());
        }
        if (labelProperty != null) {
            names.require(Kind.PROPERTY_KEY, "labelProperty", List.of(labelProperty));
        }
        if (splitProperty != null) {
            names.require(Kind.PROPERTY_KEY, "splitProperty", List.of(splitProperty));
        }
    }

    /** Fails when any of {@code names}, given as configuration {@code key}, is not a {@code kind} of the database. */
    public void require(Kind kind, String key, List<String> names) {
        Set<String> known = available(kind);
        List<String> missing = names.stream().filter(name -> !known.contains(name)).distinct().toList();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(notFound(kind, key, missing, known));
        }
    }

    static String notFound(Kind kind, String key, List<String> missing, Set<String> known) {
        StringBuilder message = new StringBuilder("Could not find the specified " + key + " of " + quoted(missing));
        List<String> suggestions = new ArrayList<>();
        for (String name : missing) {
            String closest = ConfigMap.closest(name, known);
            if (closest != null) {
                suggestions.add("'" + closest + "'" + (missing.size() > 1 ? " for '" + name + "'" : ""));
            }
        }
        message.append(suggestions.isEmpty() ? "." : "; did you mean " + String.join(", ", suggestions) + "?");
        if (known.isEmpty()) {
            return message.append(" The database has no ").append(kind.plural).append('.').toString();
        }
        List<String> listed = known.stream().limit(LISTED).toList();
        message.append(" Available ").append(kind.plural).append(" are ").append(quoted(listed));
        if (known.size() > LISTED) {
            message.setLength(message.length() - 1);
            message.append(", ... (").append(known.size() - LISTED).append(" more)]");
        }
        return message.append('.').toString();
    }

    private Set<String> available(Kind kind) {
        return available.computeIfAbsent(kind, k -> {
            Set<String> names = new TreeSet<>();
            switch (k) {
                case NODE_LABEL -> tx.getAllLabelsInUse().forEach((Label label) -> names.add(label.name()));
                case RELATIONSHIP_TYPE -> tx.getAllRelationshipTypesInUse()
                        .forEach((RelationshipType type) -> names.add(type.name()));
                case PROPERTY_KEY -> tx.getAllPropertyKeys().forEach(names::add);
            }
            return names;
        });
    }

    /** Names as a list in quotes: ['a', 'b']. */
    static String quoted(List<String> names) {
        return names.stream().map(name -> "'" + name + "'").collect(Collectors.joining(", ", "[", "]"));
    }
}
