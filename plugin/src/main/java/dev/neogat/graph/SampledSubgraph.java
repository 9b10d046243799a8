package dev.neogat.graph;

/**
 * A batch's computation subgraph: local node i is node {@code wholeNodes[i]} of the whole graph, local slot s
 * carries the whole graph's slot {@code wholeSlots[s]}, and the batch's own nodes are locals
 * {@code [0, batchSize)}.
 */
public record SampledSubgraph(IncomingCsr graph, int[] wholeNodes, int[] wholeSlots, int batchSize) {

    /** Local ids of the batch nodes, [0, batchSize). */
    public int[] batchLocals() {
        int[] locals = new int[batchSize];
        for (int i = 0; i < batchSize; i++) {
            locals[i] = i;
        }
        return locals;
    }
}
