package dev.neogat.analysis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Why a model predicted what it did for one node: the prediction, and for each node and stored
 * relationship of the target's L-hop neighbourhood its attention flow, its occlusion effect and (for
 * nodes) the input features that pushed the prediction most. See {@link PredictionExplainer} for the
 * definitions. Node and relationship ids are those of the graph given to the explainer.
 *
 * @param logits                 the target's raw scores, equal to a run on the whole graph
 * @param nodes                  the target first, then its neighbours in breadth-first order
 * @param relationships          every stored relationship with a message edge in the neighbourhood
 */
public record Explanation(int target, int hops, int predictedClass, double probability, int runnerUpClass,
                          double runnerUpProbability, float[] logits, List<NodeInfluence> nodes,
                          List<RelationshipInfluence> relationships) {

    /** What "most influential" means when the output is cut to k. */
    public enum Ranking {
        /** The largest change of the predicted class's probability when removed, either way (|occlusionDelta|). */
        OCCLUSION,
        /** The largest attention flow. */
        FLOW
    }

    /** The k most influential relationships, most influential first (ties: lower relationship id first). */
    public List<RelationshipInfluence> topRelationships(int k, Ranking ranking) {
        Comparator<RelationshipInfluence> order = Comparator.comparingDouble((RelationshipInfluence r) ->
                        -(ranking == Ranking.FLOW ? r.flow() : Math.abs(r.occlusionDelta())))
                .thenComparingInt(RelationshipInfluence::relationship);
        return relationships.stream().sorted(order).limit(k).toList();
    }

    /** The k most influential neighbours (the target excluded), most influential first. */
    public List<NodeInfluence> topNeighbours(int k, Ranking ranking) {
        Comparator<NodeInfluence> order = Comparator.comparingDouble((NodeInfluence n) ->
                        -(ranking == Ranking.FLOW ? n.flow() : Math.abs(n.occlusionDelta())))
                .thenComparingInt(NodeInfluence::node);
        return nodes.stream().skip(1).sorted(order).limit(k).toList();
    }

    /**
     * A drawable cut: the target, its k most influential neighbours and the k most influential
     * relationships with both their end nodes, so that every relationship kept has its nodes.
     */
    public Explanation top(int k, Ranking ranking) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, got " + k);
        }
        List<RelationshipInfluence> keptRelationships = topRelationships(k, ranking);
        Set<Integer> keptNodes = new LinkedHashSet<>();
        keptNodes.add(target);
        topNeighbours(k, ranking).forEach(n -> keptNodes.add(n.node()));
        for (RelationshipInfluence r : keptRelationships) {
            keptNodes.add(r.startNode());
            keptNodes.add(r.endNode());
        }
        List<NodeInfluence> nodeRows = new ArrayList<>();
        for (NodeInfluence n : nodes) {
            if (keptNodes.contains(n.node())) {
                nodeRows.add(n);
            }
        }
        return new Explanation(target, hops, predictedClass, probability, runnerUpClass, runnerUpProbability, logits,
                nodeRows, keptRelationships);
    }

    /**
     * @param distance       incoming steps to the target (0 for the target)
     * @param flow           the share of the prediction reaching the node's input features (share_0)
     * @param occlusionDelta change of the predicted class's probability when all the node's relationships
     *                       are removed; NaN for the target itself
     * @param flips          whether that removal changes the predicted class
     * @param topFeatures    the features with the largest |gradient × input|, largest first
     */
    public record NodeInfluence(int node, int distance, double flow, double occlusionDelta, boolean flips,
                                List<FeatureAttribution> topFeatures) {
    }

    /**
     * @param startNode      the relationship's stored start node
     * @param endNode        its stored end node
     * @param layerFlow      flow through its message edges (both directions when undirected), per layer
     * @param flow           the sum over layers
     * @param occlusionDelta change of the predicted class's probability when this relationship alone is removed
     * @param flips          whether that removal changes the predicted class
     * @param messageEdges   message edges it carries here: 2 when both directions reach the target
     */
    public record RelationshipInfluence(int relationship, int startNode, int endNode, double[] layerFlow,
                                        double flow, double occlusionDelta, boolean flips, int messageEdges) {
    }

    /**
     * @param feature     column of the input features
     * @param input       the value the model saw (after its row normalisation, when it normalises)
     * @param attribution gradient × input of the predicted class's log-probability
     */
    public record FeatureAttribution(int feature, double input, double attribution) {
    }
}
