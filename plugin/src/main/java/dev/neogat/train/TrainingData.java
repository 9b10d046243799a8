package dev.neogat.train;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.EdgeFeatures;
import dev.neogat.nn.FeatureMatrix;

/**
 * A graph with one feature row and (maybe) a label per node, the split of labelled nodes, and optionally
 * relationship features: one row per edge given to the graph builder, in that order ({@link EdgeFeatures}
 * spreads them over the attention slots); null for none.
 */
public record TrainingData(IncomingCsr graph, FeatureMatrix features, NodeLabels labels, NodeSplit split,
                           DenseMatrix relationshipFeatures) {

    /** Without relationship features. */
    public TrainingData(IncomingCsr graph, FeatureMatrix features, NodeLabels labels, NodeSplit split) {
        this(graph, features, labels, split, null);
    }

    /** Checks that the parts fit together; each message says what does not fit and where. */
    public void validate() {
        int n = graph.nodeCount();
        if (features.rows() != n) {
            throw new IllegalArgumentException("There are " + features.rows() + " feature rows for " + n + " nodes");
        }
        if (features.cols() == 0) {
            throw new IllegalArgumentException("The features have no columns");
        }
        if (labels.nodeCount() != n) {
            throw new IllegalArgumentException("There are labels for " + labels.nodeCount() + " nodes but the graph has "
                    + n);
        }
        if (relationshipFeatures != null) {
            EdgeFeatures.requireFits(relationshipFeatures.cols(), graph, relationshipFeatures);
        }
        split.validate(n);
        if (split.train().length == 0) {
            throw new IllegalArgumentException("There are no training nodes: at least one labelled node must be in the "
                    + "training set");
        }
        labels.requireLabeled(split.train(), "training");
        labels.requireLabeled(split.validation(), "validation");
        labels.requireLabeled(split.test(), "test");
    }
}
