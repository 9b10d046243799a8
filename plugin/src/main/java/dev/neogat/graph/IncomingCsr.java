package dev.neogat.graph;

/**
 * The attention graph in compressed sparse row form over incoming edges: for each target node
 * {@code i}, the slots {@code offsets[i] .. offsets[i+1]-1} hold its sources. Every per-edge quantity
 * (scores, attention, their gradients) is stored in this slot order.
 *
 * <p>A transposed index (per source node, its outgoing slots and their targets) lets backward passes
 * gather instead of scatter, so they need no atomics and stay deterministic.
 *
 * <p>Slots map back to the caller's edges: {@link #originalEdge(int)} is the index of the edge in the
 * arrays given to {@link GraphBuilder}, {@link #isReversed(int)} whether the slot is that edge read
 * backwards (undirected or reversed orientation), and {@link #slotOfEdge(int)} /
 * {@link #reverseSlotOfEdge(int)} go the other way, so attention can be written to each stored
 * relationship.
 */
public final class IncomingCsr {

    /** {@link #originalEdge(int)} of a self loop that the builder added. */
    public static final int ADDED_SELF_LOOP = -1;

    private final int nodeCount;
    private final int sourceCount;
    private final int[] offsets;
    private final int[] sources;
    private final int[] slotOrigins;
    private final int[] outOffsets;
    private final int[] outSlots;
    private final int[] outTargets;
    private final int[] edgeSlots;
    private final int[] edgeReverseSlots;
    private final int[] selfLoopSlots;
    private final boolean bipartite;

    IncomingCsr(int nodeCount, int sourceCount, int[] offsets, int[] sources, int[] slotOrigins, int[] outOffsets,
                int[] outSlots, int[] outTargets, int[] edgeSlots, int[] edgeReverseSlots, int[] selfLoopSlots, boolean bipartite) {
        this.nodeCount = nodeCount;
        this.sourceCount = sourceCount;
        this.offsets = offsets;
        this.sources = sources;
        this.slotOrigins = slotOrigins;
        this.outOffsets = outOffsets;
        this.outSlots = outSlots;
        this.outTargets = outTargets;
        this.edgeSlots = edgeSlots;
        this.edgeReverseSlots = edgeReverseSlots;
        this.selfLoopSlots = selfLoopSlots;
        this.bipartite = bipartite;
    }

    /**
     * The incoming slots of the targets [start, end) as a bipartite graph from all of this graph's sources to those
     * targets (target i is {@code start + i}), the slots in this graph's order: slot s of the slice is slot
     * {@code offsets[start] + s} here, and its edge s. No self loops are added and no duplicates dropped.
     */
    public IncomingCsr targetSlice(int start, int end) {
        if (start < 0 || end < start || end > nodeCount) {
            throw new IllegalArgumentException("Targets [" + start + ", " + end + ") are not within [0, " + nodeCount
                    + ")");
        }
        return GraphBuilder.targetSlice(this, start, end);
    }

    /** Number of target nodes (the rows of the CSR); all nodes of a graph over one node set. */
    public int nodeCount() {
        return nodeCount;
    }

    /**
     * Number of source nodes: {@link #nodeCount()} for a graph over one node set; the source type's node
     * count for a bipartite relation between two node types, whose sources are indexed in their own range.
     */
    public int sourceCount() {
        return sourceCount;
    }

    /** Whether sources and targets are different node sets (a relation between two node types). */
    public boolean isBipartite() {
        return bipartite;
    }

    /** Number of slots (message edges), self loops included. */
    public int slotCount() {
        return sources.length;
    }

    /** Number of edges given to the builder. */
    public int originalEdgeCount() {
        return edgeSlots.length;
    }

    /** offsets[i] .. offsets[i+1] are the incoming slots of node i; length nodeCount + 1. */
    public int[] offsets() {
        return offsets;
    }

    /** Source node of each slot. */
    public int[] sources() {
        return sources;
    }

    /**
     * outOffsets[j] .. outOffsets[j+1] index {@link #outSlots()} and {@link #outTargets()} for source j;
     * length sourceCount + 1.
     */
    public int[] outOffsets() {
        return outOffsets;
    }

    /** Slots grouped by source node, ascending within a source. */
    public int[] outSlots() {
        return outSlots;
    }

    /** Target node of each entry of {@link #outSlots()}. */
    public int[] outTargets() {
        return outTargets;
    }

    public int inDegree(int node) {
        return offsets[node + 1] - offsets[node];
    }

    public int maxInDegree() {
        int max = 0;
        for (int i = 0; i < nodeCount; i++) {
            max = Math.max(max, offsets[i + 1] - offsets[i]);
        }
        return max;
    }

    /** Target node of a slot (binary search over the offsets). */
    public int targetOf(int slot) {
        int lo = 0;
        int hi = nodeCount - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (offsets[mid] <= slot) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** Index of the caller's edge this slot came from, or {@link #ADDED_SELF_LOOP}. */
    public int originalEdge(int slot) {
        int origin = slotOrigins[slot];
        return origin < 0 ? ADDED_SELF_LOOP : origin >>> 1;
    }

    /** Whether the slot reads its original edge backwards (target → source). */
    public boolean isReversed(int slot) {
        int origin = slotOrigins[slot];
        return origin >= 0 && (origin & 1) == 1;
    }

    /**
     * The slot that carries the caller's edge {@code edge} in its own direction for NATURAL and
     * UNDIRECTED (its target attends to its source), or read backwards for REVERSE. A self-loop edge maps
     * to its node's added self loop when self loops were added; a dropped duplicate maps to the slot of
     * the edge it duplicates.
     */
    public int slotOfEdge(int edge) {
        return edgeSlots[edge];
    }

    /** For UNDIRECTED, the slot that carries {@code edge} backwards; -1 otherwise or for a self loop. */
    public int reverseSlotOfEdge(int edge) {
        return edgeReverseSlots[edge];
    }

    /** Slot of node i's self loop, or -1 when it has none (always for a bipartite graph). */
    public int selfLoopSlot(int node) {
        return selfLoopSlots[node];
    }
}
