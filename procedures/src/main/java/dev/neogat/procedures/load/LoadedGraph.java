package dev.neogat.procedures.load;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.nn.FeatureMatrix;

import java.util.List;

/**
 * A projection of the store in engine form: dense node ids mapped to Neo4j ids, the stored relationships
 * (edge e is {@code relationshipIds[e]}) and the attention graph built from them, features, and, when a
 * label property was given, labels with their class values and the split of labelled nodes.
 */
public record LoadedGraph(NodeIdMap nodes, long[] relationshipIds, IncomingCsr graph, FeatureMatrix features,
                          NodeLabels labels, List<Object> classValues, NodeSplit split, long loadMillis,
                          long nodeMillis, long relationshipMillis) {

    public int nodeCount() {
        return nodes.size();
    }

    public int relationshipCount() {
        return relationshipIds.length;
    }
}
