package dev.neogat.procedures.facade;

import dev.neogat.procedures.config.ConfigMap;
import dev.neogat.procedures.context.ProcedureContext;
import dev.neogat.spec.TypedGatConfig;
import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.ResourceIterator;
import org.neo4j.graphdb.Result;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * gat.explain.stream's {@code featureNames}: the names its top features are given instead of their column indices.
 * An untyped model reads one vocabulary, a list of strings or the name of a node property holding one. A typed
 * model's labels have features of their own, so it reads one vocabulary per label: a map from label to a list or a
 * property ({@code {Paper: 'vocabulary', Author: ['age', 'awards']}}); a list or a property alone is accepted when
 * the model reads features on one label only (a property alone: on every label with features, each label's
 * vocabulary from one of its nodes). Labels left out keep column indices.
 */
final class FeatureNames {

    static final String KEY = "featureNames";

    private static final String WHERE = "Configuration '" + KEY + "'";

    private FeatureNames() {
    }

    /** An untyped model's vocabulary: the list given, or the property on the explained node, else on any node. */
    static List<String> untyped(ProcedureContext context, Object value, long explainedNode, int width) {
        if (value instanceof List<?> list) {
            return fromList(list, width, null);
        }
        if (value instanceof String property && !property.isBlank()) {
            return fromProperty(property, width, null,
                    explainedValue(context, property, explainedNode), () -> anyNodesValue(context, property));
        }
        throw wrongType(value, false);
    }

    /**
     * A typed model's vocabulary per label with features (labels without a vocabulary are absent); empty when
     * {@code value} is null.
     */
    static Map<String, List<String>> typed(ProcedureContext context, Object value, long explainedNode,
                                           String modelName, TypedGatConfig model) {
        Map<String, List<String>> names = new LinkedHashMap<>();
        if (value == null) {
            return names;
        }
        List<String> withFeatures = new ArrayList<>();
        for (String label : model.inputWidths().keySet()) {
            if (!model.featureless().containsKey(label)) {
                withFeatures.add(label);
            }
        }
        if (withFeatures.isEmpty()) {
            throw new IllegalArgumentException(WHERE + " names feature columns, but the typed "
                    + "model '" + modelName + "' reads no features: every label's input is learned");
        }
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                String label = String.valueOf(entry.getKey());
                if (!model.inputWidths().containsKey(label)) {
                    throw new IllegalArgumentException(WHERE + " names the label '" + label
                            + "', which the typed model '" + modelName + "' does not read; its labels are "
                            + model.nodeTypes());
                }
                if (entry.getValue() == null) {
                    continue;
                }
                if (model.featureless().containsKey(label)) {
                    throw new IllegalArgumentException(WHERE + " names features for the label '"
                            + label + "', whose nodes have no features in the typed model '" + modelName
                            + "' (their input is learned); labels with features: " + withFeatures);
                }
                names.put(label, forLabel(context, entry.getValue(), explainedNode, label, model));
            }
            return names;
        }
        if (!(value instanceof List<?>) && !(value instanceof String s && !s.isBlank())) {
            throw wrongType(value, true);
        }
        if (value instanceof List<?> && withFeatures.size() != 1) {
            throw new IllegalArgumentException(WHERE + " is one list of names, but the typed model '"
                    + modelName + "' reads features on " + withFeatures.size() + " labels " + withFeatures
                    + ", each with columns of its own; give a map from label to its names or to a property holding "
                    + "them, e.g. {" + withFeatures.get(0) + ": 'vocabulary'}");
        }
        for (String label : withFeatures) {
            names.put(label, forLabel(context, value, explainedNode, label, model));
        }
        return names;
    }

    private static List<String> forLabel(ProcedureContext context, Object value, long explainedNode, String label,
                                         TypedGatConfig model) {
        int width = model.inputWidths().get(label);
        if (value instanceof List<?> list) {
            return fromList(list, width, label);
        }
        if (!(value instanceof String property) || property.isBlank()) {
            throw new IllegalArgumentException(WHERE + " for the label '" + label + "' must be a list of names or "
                    + "the name of a node property holding them, but was " + ConfigMap.describe(value));
        }
        @SuppressWarnings("deprecation")
        Node explained = context.tx().getNodeById(explainedNode);
        Object own = explained.hasLabel(Label.label(label)) ? explained.getProperty(property, null) : null;
        return fromProperty(property, width, label, own, () -> labelsValue(context, property, label));
    }

    /** {@code list} as names of {@code width} feature columns (of {@code label}'s nodes, when not null). */
    private static List<String> fromList(List<?> list, int width, String label) {
        if (list.size() != width) {
            throw new IllegalArgumentException(WHERE + " has " + list.size() + " names but the model has " + width
                    + " input features" + (label == null ? "" : " on the label '" + label + "'"));
        }
        List<String> names = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String s)) {
                throw new IllegalArgumentException(WHERE + " must hold strings, but entry " + i
                        + (label == null ? "" : " of the label '" + label + "'") + " is "
                        + ConfigMap.describe(list.get(i)));
            }
            names.add(s);
        }
        return names;
    }

    /**
     * The vocabulary in {@code property}: {@code own} (the explained node's value) when set, else {@code other}'s (a
     * node of {@code label}, or any node when it is null).
     */
    private static List<String> fromProperty(String property, int width, String label, Object own,
                                             Supplier<Object> other) {
        Object value = own != null ? own : other.get();
        if (value == null) {
            throw new IllegalArgumentException(WHERE + " names the property '" + property + "', but no "
                    + (label == null ? "node" : "'" + label + "' node") + " has it; give the vocabulary as a list of "
                    + "strings or a property holding one");
        }
        List<?> list = value instanceof String[] strings ? List.of(strings) : value instanceof List<?> l ? l : null;
        if (list == null) {
            throw new IllegalArgumentException(WHERE + ": the property '" + property + "' holds "
                    + ConfigMap.describe(value) + ", not a list of strings");
        }
        if (list.size() != width) {
            throw new IllegalArgumentException(WHERE + ": the property '" + property + "' holds " + list.size()
                    + " names but the model has " + width + " input features"
                    + (label == null ? "" : " on the label '" + label + "'"));
        }
        return fromList(list, width, label);
    }

    @SuppressWarnings("deprecation")
    private static Object explainedValue(ProcedureContext context, String property, long explainedNode) {
        return context.tx().getNodeById(explainedNode).getProperty(property, null);
    }

    private static Object anyNodesValue(ProcedureContext context, String property) {
        try (Result result = context.tx().execute("MATCH (n) WHERE n[$p] IS NOT NULL RETURN n[$p] AS v LIMIT 1",
                Map.of("p", property))) {
            return result.hasNext() ? result.next().get("v") : null;
        }
    }

    private static Object labelsValue(ProcedureContext context, String property, String label) {
        try (ResourceIterator<Node> nodes = context.tx().findNodes(Label.label(label))) {
            while (nodes.hasNext()) {
                Object value = nodes.next().getProperty(property, null);
                if (value != null) {
                    return value;
                }
            }
        }
        return null;
    }

    private static IllegalArgumentException wrongType(Object value, boolean typed) {
        return new IllegalArgumentException(WHERE + " must be a list of names or the name of a "
                + "node property holding them" + (typed ? ", or a map from label to either" : "") + ", but was "
                + ConfigMap.describe(value));
    }
}
