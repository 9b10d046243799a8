package dev.neogat.analysis;

/**
 * One target node's neighbourhood as {@link PredictionExplainer} reads it: its nodes (local 0 the target), its message
 * slots (local ids, one list over every relation) and the stored relationships behind the slots.
 * {@link Neighbourhood} (untyped) and {@link TypedNeighbourhood} (typed) are both one.
 */
interface LocalGraph {

    int nodeCount();

    /** The caller's id of local node {@code local} (0: the target). */
    int node(int local);

    /** Incoming steps from local node {@code local} to the target. */
    int distance(int local);

    int slotCount();

    /** Local source node of local slot {@code k}. */
    int slotSource(int k);

    /** Local target node of local slot {@code k}. */
    int slotTarget(int k);

    /** Stored relationships with a slot here (the caller's ids); added self loops are none. */
    int relationshipCount();

    int relationship(int r);

    /** Local slots that carry relationship {@code r}: both directions when read undirected. */
    int[] relationshipSlots(int r);

    /** Whether local slot {@code k} reads its relationship backwards (end node to start node). */
    boolean isReversed(int k);
}
