package dev.neogat.train;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.nn.FeatureMatrix;

/** A graph with one feature row and (maybe) a label per node, and the split of labelled nodes. */
public record TrainingData(IncomingCsr graph, FeatureMatrix features, NodeLabels labels, NodeSplit split) {

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
