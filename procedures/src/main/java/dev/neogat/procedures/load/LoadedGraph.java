package dev.neogat.procedures.load;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;

import java.util.List;

/**
 * A projection of the store in engine form: dense node ids mapped to Neo4j ids, the stored relationships
 * (edge e is {@code relationshipIds[e]}) and the attention graph built from them, features, and, when a
 * label property was given, labels with their class values and the split of labelled nodes; when the
 * projection reads relationship features, one row per relationship (row e is {@code relationshipIds[e]},
 * standardised when asked), else null.
 */
public record LoadedGraph(NodeIdMap nodes, long[] relationshipIds, IncomingCsr graph, FeatureMatrix features,
                          NodeLabels labels, List<Object> classValues, NodeSplit split, long loadMillis,
                          long nodeMillis, long relationshipMillis, DenseMatrix relationshipFeatures) {

    /** Without relationship features. */
    public LoadedGraph(NodeIdMap nodes, long[] relationshipIds, IncomingCsr graph, FeatureMatrix features,
                       NodeLabels labels, List<Object> classValues, NodeSplit split, long loadMillis,
                       long nodeMillis, long relationshipMillis) {
        this(nodes, relationshipIds, graph, features, labels, classValues, split, loadMillis, nodeMillis,
                relationshipMillis, null);
    }

    /** The same graph with other relationship features (e.g. zero rows widened to a model's width). */
    public LoadedGraph withRelationshipFeatures(DenseMatrix rows) {
        return new LoadedGraph(nodes, relationshipIds, graph, features, labels, classValues, split, loadMillis,
                nodeMillis, relationshipMillis, rows);
    }

    public int nodeCount() {
        return nodes.size();
    }

    public int relationshipCount() {
        return relationshipIds.length;
    }
}
