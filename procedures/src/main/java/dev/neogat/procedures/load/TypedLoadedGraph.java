package dev.neogat.procedures.load;

import dev.neogat.data.NodeLabels;
import dev.neogat.data.NodeSplit;
import dev.neogat.graph.TypedGraph;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.procedures.config.RelationshipFeatureConfig;
import dev.neogat.spec.Relation;

import java.util.List;
import java.util.Map;

/**
 * A typed projection of the store in engine form: one node type per projected label (its nodes numbered within
 * it, mapped to Neo4j ids by {@code nodes}), the typed graph of its relations, the features of each label that has
 * them ({@code featureless}: the labels without), and, when a label property was given, the labels of the target
 * label's nodes with their class values and split. {@code relationshipFeatures}: with relationshipFeatures, one
 * row per edge of each relation as given to the graph builder, standardised when asked; {@code
 * relationshipFeatureConfig} then holds the statistics used (computed here when training), else both are empty/null.
 * {@code relationshipIds}: per relation as given to the graph builder, the Neo4j id of each of its edges.
 */
public record TypedLoadedGraph(Map<String, NodeIdMap> nodes, TypedGraph graph, Map<String, FeatureMatrix> features,
                               List<String> featureless, String targetType, NodeLabels labels,
                               List<Object> classValues, NodeSplit split, long relationshipCount, long loadMillis,
                               Map<Relation, FeatureMatrix> relationshipFeatures,
                               RelationshipFeatureConfig relationshipFeatureConfig,
                               Map<Relation, long[]> relationshipIds) {

    public long nodeCount() {
        return nodes.values().stream().mapToLong(NodeIdMap::size).sum();
    }

    /** A node of the graph: its label (node type) and its index among that label's nodes. */
    public record Located(String type, int index) {
    }

    /** Where the node with Neo4j id {@code neo4jId} is in the graph; null when it is not. */
    public Located locate(long neo4jId) {
        for (Map.Entry<String, NodeIdMap> entry : nodes.entrySet()) {
            int index = entry.getValue().toDense(neo4jId);
            if (index >= 0) {
                return new Located(entry.getKey(), index);
            }
        }
        return null;
    }

    /** The nodes of the target label, whose rows the predictions are. */
    public NodeIdMap targetNodes() {
        return nodes.get(targetType);
    }
}
