package dev.neogat.datasets;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.TypedGraph;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.train.TypedTrainingData;

import java.util.List;
import java.util.Map;

/**
 * A typed node-classification dataset in memory: the typed graph (every relation read undirected), one feature
 * matrix per node type, and the target type's labels, split and class names (indexed within that type).
 */
public record TypedDataset(String name, TypedGraph graph, Map<String, FeatureMatrix> features, String targetType,
                           NodeLabels labels, NodeSplit split, List<String> classNames) {

    public TypedTrainingData trainingData() {
        return new TypedTrainingData(graph, features, targetType, labels, split);
    }
}
