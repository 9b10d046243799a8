package dev.neogat.graph;

import dev.neogat.spec.Relation;

import java.util.Map;
import java.util.stream.IntStream;

/**
 * A typed batch's computation graph ({@link TypedNeighbourSampler}): per node type, local node i is node
 * {@code wholeNodes.get(type)[i]} of the whole graph, reached {@code distances.get(type)[i]} hops from the batch
 * ({@link #UNREACHED} for a node of a type kept whole that the batch does not reach); per relation, slot s of
 * {@code graph}'s CSR is the whole graph's slot {@code wholeSlots.get(relation)[s]}. The batch's own nodes, of
 * {@code targetType}, are locals {@code batchLocals}, in batch order.
 */
public record TypedSampledSubgraph(TypedGraph graph, String targetType, int[] batchLocals,
                                   Map<String, int[]> wholeNodes, Map<String, int[]> distances,
                                   Map<Relation, int[]> wholeSlots, int hops) {

    /** The distance of a node that is in the subgraph only because its type is kept whole. */
    public static final int UNREACHED = Integer.MAX_VALUE;

    /**
     * The local nodes of {@code type} whose output at {@code layer} (0-based) the batch's logits read: those within
     * {@code hops - 1 - layer} hops of the batch, each with every incoming slot the sampler drew for it.
     */
    public int[] computedRows(int layer, String type) {
        int within = hops - 1 - layer;
        int[] distance = distances.get(type);
        return IntStream.range(0, distance.length).filter(i -> distance[i] <= within).toArray();
    }
}
