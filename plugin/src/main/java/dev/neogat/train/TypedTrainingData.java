package dev.neogat.train;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.TypedGraph;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.spec.Relation;

import java.util.Map;

/**
 * A typed graph with one feature matrix per node type (its own width, dense or sparse; none for a type without
 * features, which the model gives a learned input, {@link dev.neogat.spec.FeaturelessInput}), and the labels
 * and split of the target type's nodes (indexed within that type). {@code relationshipFeatures}: per relation
 * that has them, one row per edge in the order given to the {@link TypedGraph} builder for that relation (a
 * relation the builder added by reversing another reads the other's unless given its own); empty for none.
 */
public record TypedTrainingData(TypedGraph graph, Map<String, FeatureMatrix> features, String targetType,
                                NodeLabels labels, NodeSplit split, Map<Relation, FeatureMatrix> relationshipFeatures) {

    public TypedTrainingData {
        features = Map.copyOf(features);
        relationshipFeatures = Map.copyOf(relationshipFeatures);
    }

    /** Without relationship features. */
    public TypedTrainingData(TypedGraph graph, Map<String, FeatureMatrix> features, String targetType,
                             NodeLabels labels, NodeSplit split) {
        this(graph, features, targetType, labels, split, Map.of());
    }

    /**
     * Checks that the parts fit together; each message says what does not fit and where. A node type without
     * features is accepted here; whether the model learns its input is checked against the model's configuration.
     */
    public void validate() {
        for (String type : graph.nodeTypes()) {
            FeatureMatrix x = features.get(type);
            if (x == null) {
                continue;
            }
            if (x.rows() != graph.nodeCount(type)) {
                throw new IllegalArgumentException("Node type '" + type + "' has " + x.rows() + " feature rows for "
                        + graph.nodeCount(type) + " nodes");
            }
            if (x.cols() == 0) {
                throw new IllegalArgumentException("The features of node type '" + type + "' have no columns");
            }
        }
        for (String type : features.keySet()) {
            if (!graph.nodeTypes().contains(type)) {
                throw new IllegalArgumentException("There are features for '" + type + "', which is not a node type of "
                        + "the graph " + graph.nodeTypes());
            }
        }
        for (Map.Entry<Relation, FeatureMatrix> e : relationshipFeatures.entrySet()) {
            if (!graph.relations().contains(e.getKey())) {
                throw new IllegalArgumentException("There are relationship features for " + e.getKey() + ", which is "
                        + "not a relation of the graph " + graph.relations());
            }
            if (e.getValue().rows() != graph.graph(e.getKey()).originalEdgeCount()) {
                throw new IllegalArgumentException("Relation " + e.getKey() + " has " + e.getValue().rows()
                        + " rows of relationship features for " + graph.graph(e.getKey()).originalEdgeCount() + " edges");
            }
        }
        requireTargets(graph.nodeCount(targetType), labels, split, targetType);
    }

    /**
     * Fails unless the target type's {@code n} nodes have labels, a split over them with training nodes, and a label
     * on every node of each split.
     */
    static void requireTargets(int n, NodeLabels labels, NodeSplit split, String targetType) {
        if (labels.nodeCount() != n) {
            throw new IllegalArgumentException("There are labels for " + labels.nodeCount() + " nodes but the target "
                    + "type '" + targetType + "' has " + n);
        }
        split.validate(n);
        if (split.train().length == 0) {
            throw new IllegalArgumentException("There are no training nodes: at least one labelled node of '"
                    + targetType + "' must be in the training set");
        }
        labels.requireLabeled(split.train(), "training");
        labels.requireLabeled(split.validation(), "validation");
        labels.requireLabeled(split.test(), "test");
    }
}
