package dev.neogat.graph;

import java.util.Arrays;

/**
 * Builds an {@link IncomingCsr} from edge arrays in O(nodes + edges) with counting sorts.
 *
 * <p>Defaults follow PyG's {@code GATConv}: orientation as stored, self loops added (any self-loop
 * edge of the input is replaced by the added loop, which is the last slot of its node), duplicates
 * kept (each copy is its own softmax term).
 *
 * <p>{@link #bipartite(int, int)} builds a relation between two node types (PyG's
 * {@code GATConv((in_src, in_dst), ..., add_self_loops=False)}): sources and targets are indexed in
 * their own ranges, so there are no self loops and edges are read as stored.
 */
public final class GraphBuilder {

    private static final int MAX_EDGES = Integer.MAX_VALUE / 2;

    private final int nodeCount;
    private final int sourceCount;
    private final boolean bipartite;
    private Orientation orientation = Orientation.NATURAL;
    private boolean selfLoops = true;
    private boolean dropDuplicates = false;

    public GraphBuilder(int nodeCount) {
        if (nodeCount < 0) {
            throw new IllegalArgumentException("Node count must not be negative, got " + nodeCount);
        }
        this.nodeCount = nodeCount;
        this.sourceCount = nodeCount;
        this.bipartite = false;
    }

    private GraphBuilder(int sourceCount, int targetCount) {
        if (sourceCount < 0 || targetCount < 0) {
            throw new IllegalArgumentException("Node counts must not be negative, got " + sourceCount + " sources and "
                    + targetCount + " targets");
        }
        this.nodeCount = targetCount;
        this.sourceCount = sourceCount;
        this.bipartite = true;
        this.selfLoops = false;
    }

    /**
     * A builder for edges from {@code sourceCount} source nodes to {@code targetCount} target nodes of
     * another node set: no self loops (an index names a different node on each side), natural orientation.
     */
    public static GraphBuilder bipartite(int sourceCount, int targetCount) {
        return new GraphBuilder(sourceCount, targetCount);
    }

    /** See {@link IncomingCsr#targetSlice}. */
    static IncomingCsr targetSlice(IncomingCsr graph, int start, int end) {
        int[] offsets = graph.offsets();
        int firstSlot = offsets[start];
        int slotCount = offsets[end] - firstSlot;
        int targetCount = end - start;
        int[] sliceOffsets = new int[targetCount + 1];
        for (int i = 0; i <= targetCount; i++) {
            sliceOffsets[i] = offsets[start + i] - firstSlot;
        }
        return targetSlice(graph.sourceCount(), sliceOffsets,
                Arrays.copyOfRange(graph.sources(), firstSlot, firstSlot + slotCount));
    }

    /**
     * A graph from {@code sourceCount} source nodes to {@code sliceOffsets.length - 1} targets whose incoming slots
     * are {@code slotSources[sliceOffsets[t] ..]}, in that order: what {@link IncomingCsr#targetSlice} gives, built
     * from slots read elsewhere (a store).
     */
    public static IncomingCsr targetSlice(int sourceCount, int[] sliceOffsets, int[] slotSources) {
        int targetCount = sliceOffsets.length - 1;
        int slotCount = slotSources.length;
        if (sliceOffsets[0] != 0 || sliceOffsets[targetCount] != slotCount) {
            throw new IllegalArgumentException("The slice's offsets run from " + sliceOffsets[0] + " to "
                    + sliceOffsets[targetCount] + " but it has " + slotCount + " slots");
        }
        int[] slotOrigins = new int[slotCount];
        int[] edgeSlots = new int[slotCount];
        for (int slot = 0; slot < slotCount; slot++) {
            slotOrigins[slot] = slot << 1;
            edgeSlots[slot] = slot;
        }
        int[] edgeReverseSlots = new int[slotCount];
        Arrays.fill(edgeReverseSlots, -1);
        int[] selfLoopSlots = new int[targetCount];
        Arrays.fill(selfLoopSlots, -1);
        return new GraphBuilder(sourceCount, targetCount).withOutgoingIndex(sliceOffsets, slotSources,
                slotOrigins, edgeSlots, edgeReverseSlots, selfLoopSlots);
    }

    public GraphBuilder orientation(Orientation orientation) {
        if (bipartite && orientation != Orientation.NATURAL) {
            throw new IllegalArgumentException("A bipartite graph is read as stored; build the reverse relation from "
                    + "swapped edge arrays instead of orientation " + orientation);
        }
        this.orientation = java.util.Objects.requireNonNull(orientation, "orientation");
        return this;
    }

    public GraphBuilder selfLoops(boolean selfLoops) {
        if (bipartite && selfLoops) {
            throw new IllegalArgumentException("A bipartite graph has no self loops: its sources and targets are "
                    + "different nodes");
        }
        this.selfLoops = selfLoops;
        return this;
    }

    public GraphBuilder dropDuplicates(boolean dropDuplicates) {
        this.dropDuplicates = dropDuplicates;
        return this;
    }

    /**
     * Edge e goes from {@code sources[e]} to {@code targets[e]}, both dense node ids in [0, nodeCount)
     * (bipartite: sources in [0, sourceCount), targets in [0, targetCount)).
     */
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
            if (s == t && !bipartite) {
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
            if (s == t && !bipartite) {
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
        } else if (!bipartite) {
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
        int[] seenForTarget = new int[sourceCount];
        int[] keptSlotOfSource = new int[sourceCount];
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
        int[] outOffsets = new int[sourceCount + 1];
        for (int slot = 0; slot < slotCount; slot++) {
            outOffsets[slotSources[slot] + 1]++;
        }
        for (int j = 0; j < sourceCount; j++) {
            outOffsets[j + 1] += outOffsets[j];
        }
        int[] cursor = Arrays.copyOf(outOffsets, sourceCount);
        int[] outSlots = new int[slotCount];
        int[] outTargets = new int[slotCount];
        for (int t = 0; t < nodeCount; t++) {
            for (int slot = offsets[t]; slot < offsets[t + 1]; slot++) {
                int position = cursor[slotSources[slot]]++;
                outSlots[position] = slot;
                outTargets[position] = t;
            }
        }
        return new IncomingCsr(nodeCount, sourceCount, offsets, slotSources, slotOrigins, outOffsets, outSlots,
                outTargets, edgeSlots, edgeReverseSlots, selfLoopSlots, bipartite);
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
            checkEndpoint("source", sources[e], e, sourceCount);
            checkEndpoint("target", targets[e], e, nodeCount);
        }
    }

    private void checkEndpoint(String role, int node, int edge, int count) {
        if (node < 0 || node >= count) {
            throw new IllegalArgumentException("Edge " + edge + " has " + role + " " + node
                    + " outside the " + (bipartite ? role + " " : "") + "node range [0, " + count + ")");
        }
    }
}
