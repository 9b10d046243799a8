package dev.neogat.train;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.NeighbourSource;
import dev.neogat.nn.DenseMatrix;

import java.util.Arrays;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What training needs when the graph is not held in the heap: where neighbourhoods and feature rows come from,
 * and labels for the labelled nodes only: row r of {@code labels} is node {@code labelledNodes[r]} (ascending
 * whole-graph ids). The split holds whole-graph ids of labelled nodes. {@code graph} and {@code features} are read
 * by the training thread; {@code workerReaders} opens a reader for each thread that prepares batches beside it.
 * {@code wholeGraph}, when not null, is the same graph as layer-wise inference reads it, which evaluation takes when
 * that reads fewer feature rows than exact neighbourhoods chunk by chunk. {@code slotFeatures}, when not null, gives
 * the training thread the relationship features of whole-graph slots ({@link BatchReader#slotFeatures}); the
 * workers' readers then give theirs.
 */
public record SampledTrainingData(NeighbourSource graph, FeatureRows features, int[] labelledNodes,
                                  NodeLabels labels, NodeSplit split, Supplier<BatchReader> workerReaders,
                                  LayerWiseInference.Source wholeGraph, Function<int[], DenseMatrix> slotFeatures) {

    /** Without relationship features. */
    public SampledTrainingData(NeighbourSource graph, FeatureRows features, int[] labelledNodes, NodeLabels labels,
                               NodeSplit split, Supplier<BatchReader> workerReaders,
                               LayerWiseInference.Source wholeGraph) {
        this(graph, features, labelledNodes, labels, split, workerReaders, wholeGraph, null);
    }

    /** Over sources that any number of threads may read at once: every worker shares them. */
    public SampledTrainingData(NeighbourSource graph, FeatureRows features, int[] labelledNodes, NodeLabels labels,
                               NodeSplit split) {
        this(graph, features, labelledNodes, labels, split, () -> BatchReader.of(graph, features), null);
    }

    /** Without a layer-wise view: evaluation runs on exact neighbourhoods. */
    public SampledTrainingData(NeighbourSource graph, FeatureRows features, int[] labelledNodes, NodeLabels labels,
                               NodeSplit split, Supplier<BatchReader> workerReaders) {
        this(graph, features, labelledNodes, labels, split, workerReaders, null);
    }

    /** The training thread's reader. */
    public BatchReader callerReader() {
        return BatchReader.of(graph, features, slotFeatures, () -> { });
    }

    /** The row of {@code labels} of a labelled node; fails for a node without a label. */
    public int labelRow(int node) {
        int row = Arrays.binarySearch(labelledNodes, node);
        if (row < 0) {
            throw new IllegalArgumentException("Node " + node + " has no label");
        }
        return row;
    }

    /** Checks that the parts fit together; each message says what does not fit and where. */
    public void validate() {
        if (labels.nodeCount() != labelledNodes.length) {
            throw new IllegalArgumentException("There are " + labels.nodeCount() + " label rows for "
                    + labelledNodes.length + " labelled nodes");
        }
        for (int r = 0; r < labelledNodes.length; r++) {
            if (labelledNodes[r] < 0 || labelledNodes[r] >= graph.nodeCount()
                    || (r > 0 && labelledNodes[r] <= labelledNodes[r - 1])) {
                throw new IllegalArgumentException("Labelled node " + labelledNodes[r] + " at " + r
                        + " is outside [0, " + graph.nodeCount() + ") or not in ascending order");
            }
        }
        if (features.cols() == 0) {
            throw new IllegalArgumentException("The features have no columns");
        }
        split.validate(graph.nodeCount());
        if (split.train().length == 0) {
            throw new IllegalArgumentException("There are no training nodes: at least one labelled node must be in the "
                    + "training set");
        }
        for (int[] nodes : new int[][]{split.train(), split.validation(), split.test()}) {
            for (int node : nodes) {
                labelRow(node);
            }
        }
    }
}
