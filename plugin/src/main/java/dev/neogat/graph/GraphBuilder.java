package dev.neogat.graph;

import java.util.Arrays;

/**
 * Builds an {@link IncomingCsr} from edge arrays in O(nodes + edges) with counting sorts.
 *
 * <p>Defaults follow PyG's {@code GATConv}: orientation as stored, self loops added (any self-loop
 * edge of the input is replaced by the added loop, which is the last slot of its node), duplicates
 * kept (each copy is its own softmax term).
 */
public final class GraphBuilder {

    private static final int MAX_EDGES = Integer.MAX_VALUE / 2;

    private final int nodeCount;
    private Orientation orientation = Orientation.NATURAL;
    private boolean selfLoops = true;
    private boolean dropDuplicates = false;

    public GraphBuilder(int nodeCount) {
        if (nodeCount < 0) {
            throw new IllegalArgumentException("Node count must not be negative, got " + nodeCount);
        }
        this.nodeCount = nodeCount;
    }

    public GraphBuilder orientation(Orientation orientation) {
        this.orientation = java.util.Objects.requireNonNull(orientation, "orientation");
        return this;
    }

    public GraphBuilder selfLoops(boolean selfLoops) {
        this.selfLoops = selfLoops;
        return this;
    }

    public GraphBuilder dropDuplicates(boolean dropDuplicates) {
        this.dropDuplicates = dropDuplicates;
        return this;
    }

    /** Edge e goes from {@code sources[e]} to {@code targets[e]}, both dense node ids in [0, nodeCount). */
    public IncomingCsr build(int[] sources, int[] targets) {
        validate(sources, targets);
        int edgeCount = sources.length;
        boolean undirected = orientation == Orientation.UNDIRECTED;
        boolean reverse = orientation == Orientation.REVERSE;

        // Pass 1: count slots per target.
        int[] offsets = new int[nodeCount + 1];
        for (int e = 0; e < edgeCount; e++) {
            int s = sources[e];
            int t = targets[e];
            if (s == t) {
                if (!selfLoops) {
                    offsets[t + 1]++;
                }
            } else if (undirected) {
                offsets[t + 1]++;
                offsets[s + 1]++;
            } else {
                offsets[(reverse ? s : t) + 1]++;
            }
        }
        if (selfLoops) {
            for (int i = 0; i < nodeCount; i++) {
                offsets[i + 1]++;
            }
        }
        for (int i = 0; i < nodeCount; i++) {
            offsets[i + 1] += offsets[i];
        }
        int slotCount = offsets[nodeCount];

        // Pass 2: place edges in input order, then each node's added self loop last.
        int[] cursor = Arrays.copyOf(offsets, nodeCount);
        int[] slotSources = new int[slotCount];
        int[] slotOrigins = new int[slotCount];
        int[] edgeSlots = new int[edgeCount];
        int[] edgeReverseSlots = new int[edgeCount];
        Arrays.fill(edgeReverseSlots, -1);
        for (int e = 0; e < edgeCount; e++) {
            int s = sources[e];
            int t = targets[e];
            if (s == t) {
                if (!selfLoops) {
                    edgeSlots[e] = place(cursor, slotSources, slotOrigins, t, s, e, false);
                }
            } else if (undirected) {
                edgeSlots[e] = place(cursor, slotSources, slotOrigins, t, s, e, false);
                edgeReverseSlots[e] = place(cursor, slotSources, slotOrigins, s, t, e, true);
            } else if (reverse) {
                edgeSlots[e] = place(cursor, slotSources, slotOrigins, s, t, e, true);
            } else {
                edgeSlots[e] = place(cursor, slotSources, slotOrigins, t, s, e, false);
            }
        }
        int[] selfLoopSlots = new int[nodeCount];
        Arrays.fill(selfLoopSlots, -1);
        if (selfLoops) {
            for (int i = 0; i < nodeCount; i++) {
                int slot = cursor[i]++;
                slotSources[slot] = i;
                slotOrigins[slot] = -1;
                selfLoopSlots[i] = slot;
            }
            for (int e = 0; e < edgeCount; e++) {
                if (sources[e] == targets[e]) {
                    edgeSlots[e] = selfLoopSlots[sources[e]];
                }
            }
        } else {
            for (int e = edgeCount - 1; e >= 0; e--) {
                if (sources[e] == targets[e]) {
                    selfLoopSlots[sources[e]] = edgeSlots[e];
                }
            }
        }

        if (dropDuplicates) {
            int[] newSlotOf = new int[slotCount];
            slotCount = compactDuplicates(offsets, slotSources, slotOrigins, newSlotOf);
            slotSources = Arrays.copyOf(slotSources, slotCount);
            slotOrigins = Arrays.copyOf(slotOrigins, slotCount);
            remap(edgeSlots, newSlotOf);
            remap(edgeReverseSlots, newSlotOf);
            remap(selfLoopSlots, newSlotOf);
        }
        return withOutgoingIndex(offsets, slotSources, slotOrigins, edgeSlots, edgeReverseSlots, selfLoopSlots);
    }

    private static int place(int[] cursor, int[] slotSources, int[] slotOrigins, int target, int source,
                             int edge, boolean reversed) {
        int slot = cursor[target]++;
        slotSources[slot] = source;
        slotOrigins[slot] = (edge << 1) | (reversed ? 1 : 0);
        return slot;
    }

    /**
     * Keeps the first slot of each (source, target) pair. Rewrites offsets, sources and origins in place,
     * fills {@code newSlotOf} (old slot → kept slot) and returns the new slot count.
     */
    private int compactDuplicates(int[] offsets, int[] slotSources, int[] slotOrigins, int[] newSlotOf) {
        int[] seenForTarget = new int[nodeCount];
        int[] keptSlotOfSource = new int[nodeCount];
        Arrays.fill(seenForTarget, -1);
        int write = 0;
        int segmentStart = 0;
        for (int t = 0; t < nodeCount; t++) {
            int end = offsets[t + 1];
            for (int slot = segmentStart; slot < end; slot++) {
                int s = slotSources[slot];
                if (seenForTarget[s] == t) {
                    newSlotOf[slot] = keptSlotOfSource[s];
                } else {
                    seenForTarget[s] = t;
                    keptSlotOfSource[s] = write;
                    newSlotOf[slot] = write;
                    slotSources[write] = s;
                    slotOrigins[write] = slotOrigins[slot];
                    write++;
                }
            }
            segmentStart = end;
            offsets[t + 1] = write;
        }
        return write;
    }

    private static void remap(int[] slots, int[] newSlotOf) {
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] >= 0) {
                slots[i] = newSlotOf[slots[i]];
            }
        }
    }

    private IncomingCsr withOutgoingIndex(int[] offsets, int[] slotSources, int[] slotOrigins, int[] edgeSlots,
                                          int[] edgeReverseSlots, int[] selfLoopSlots) {
        int slotCount = slotSources.length;
        int[] outOffsets = new int[nodeCount + 1];
        for (int slot = 0; slot < slotCount; slot++) {
            outOffsets[slotSources[slot] + 1]++;
        }
        for (int j = 0; j < nodeCount; j++) {
            outOffsets[j + 1] += outOffsets[j];
        }
        int[] cursor = Arrays.copyOf(outOffsets, nodeCount);
        int[] outSlots = new int[slotCount];
        int[] outTargets = new int[slotCount];
        for (int t = 0; t < nodeCount; t++) {
            for (int slot = offsets[t]; slot < offsets[t + 1]; slot++) {
                int position = cursor[slotSources[slot]]++;
                outSlots[position] = slot;
                outTargets[position] = t;
            }
        }
        return new IncomingCsr(nodeCount, offsets, slotSources, slotOrigins, outOffsets, outSlots, outTargets,
                edgeSlots, edgeReverseSlots, selfLoopSlots);
    }

    private void validate(int[] sources, int[] targets) {
        if (sources.length != targets.length) {
            throw new IllegalArgumentException("Edge arrays differ in length: " + sources.length
                    + " sources but " + targets.length + " targets");
        }
        if (sources.length > MAX_EDGES) {
            throw new IllegalArgumentException("Too many edges: " + sources.length + " (at most " + MAX_EDGES + ")");
        }
        long slots = (long) sources.length * (orientation == Orientation.UNDIRECTED ? 2 : 1)
                + (selfLoops ? nodeCount : 0);
        if (slots > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("The graph would have " + slots
                    + " message edges; at most " + (Integer.MAX_VALUE - 8) + " fit in one graph");
        }
        for (int e = 0; e < sources.length; e++) {
            checkEndpoint("source", sources[e], e);
            checkEndpoint("target", targets[e], e);
        }
    }

    private void checkEndpoint(String role, int node, int edge) {
        if (node < 0 || node >= nodeCount) {
            throw new IllegalArgumentException("Edge " + edge + " has " + role + " " + node
                    + " outside the node range [0, " + nodeCount + ")");
        }
    }
}
