package dev.neogat.datasets;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.GraphBuilder;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.graph.Orientation;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.train.TrainingData;

import java.util.List;

/**
 * A node-classification dataset in memory: edges as stored (each undirected edge once for citation
 * graphs), features, labels, the split and the class names.
 */
public record Dataset(String name, int nodeCount, int[] sources, int[] targets, FeatureMatrix features,
                      NodeLabels labels, NodeSplit split, List<String> classNames) {

    public int edgeCount() {
        return sources.length;
    }

    /** The attention graph as PyG builds it for these datasets: both directions plus self loops. */
    public IncomingCsr undirectedGraph() {
        return new GraphBuilder(nodeCount).orientation(Orientation.UNDIRECTED).selfLoops(true).build(sources, targets);
    }

    public TrainingData trainingData() {
        return new TrainingData(undirectedGraph(), features, labels, split);
    }
}
