package dev.neogat.train;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.TypedGraph;
import dev.neogat.nn.FeatureMatrix;

import java.util.Map;

/**
 * A typed graph with one feature matrix per node type (its own width, dense or sparse), and the labels and
 * split of the target type's nodes (indexed within that type).
 */
public record TypedTrainingData(TypedGraph graph, Map<String, FeatureMatrix> features, String targetType,
                                NodeLabels labels, NodeSplit split) {

    public TypedTrainingData {
        features = Map.copyOf(features);
    }

    /** Checks that the parts fit together; each message says what does not fit and where. */
    public void validate() {
        for (String type : graph.nodeTypes()) {
            FeatureMatrix x = features.get(type);
            if (x == null) {
                throw new IllegalArgumentException("No features for node type '" + type + "'");
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
        int n = graph.nodeCount(targetType);
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
