package dev.neogat.graph;

import dev.neogat.util.CounterRng;

import java.util.Arrays;

/**
 * Samples the computation subgraph of a batch of target nodes, as PyG's {@code NeighborLoader}: hop by hop,
 * each node reached for the first time draws up to {@code fanouts[hop]} of its incoming slots without
 * replacement ({@code -1}: all of them), and their sources join the next hop. The batch nodes come first in
 * the subgraph's local ids, then each hop's new nodes in the order they were reached.
 *
 * <p>Every node keeps its self-loop slot, so its softmax runs over the sampled neighbours and itself, as on
 * the whole graph; slots stay in the whole graph's order per target, so a subgraph that holds every
 * neighbour sums in the same order as the whole graph. The draws for a node are a pure function of
 * (seed, epoch, batch, node), whatever the order or thread that asks.
 */
public final class NeighbourSampler {

    /** Fanout meaning "every incoming slot". */
    public static final int ALL = -1;

    private static final long SAMPLING_STREAM = 0x5a3d_1f0c_7b29_e6c4L;

    private final NeighbourSource graph;
    private final int[] fanouts;
    private final long seed;

    /** {@code fanouts[h]}: slots drawn per node at hop h (hop 0 = the batch nodes), each ≥ 1 or {@link #ALL}. */
    public NeighbourSampler(IncomingCsr graph, int[] fanouts, long seed) {
        this(NeighbourSource.of(graph), fanouts, seed);
    }

    /** As {@link #NeighbourSampler(IncomingCsr, int[], long)}, reading slots from any {@code source}. */
    public NeighbourSampler(NeighbourSource source, int[] fanouts, long seed) {
        if (fanouts.length == 0) {
            throw new IllegalArgumentException("At least one fanout is needed (one per layer)");
        }
        for (int h = 0; h < fanouts.length; h++) {
            if (fanouts[h] < 1 && fanouts[h] != ALL) {
                throw new IllegalArgumentException("Fanout " + fanouts[h] + " at hop " + h
                        + " must be at least 1, or -1 for all neighbours");
            }
        }
        this.graph = source;
        this.fanouts = fanouts.clone();
        this.seed = CounterRng.mix64(seed ^ SAMPLING_STREAM);
    }

    /** The subgraph of {@code batch} (distinct node ids of the whole graph) for draw (epoch, batchIndex). */
    public SampledSubgraph sample(int[] batch, long epoch, long batchIndex) {
        int[] localOf = new int[graph.nodeCount()];
        Arrays.fill(localOf, -1);
        IntList nodes = new IntList(batch.length * 4);
        for (int node : batch) {
            if (node < 0 || node >= graph.nodeCount()) {
                throw new IllegalArgumentException("Batch node " + node + " is outside [0, " + graph.nodeCount() + ")");
            }
            if (localOf[node] >= 0) {
                throw new IllegalArgumentException("Batch node " + node + " is listed twice");
            }
            localOf[node] = nodes.size();
            nodes.add(node);
        }
        NeighbourSource.Slots incoming = new NeighbourSource.Slots();
        IntList slotSources = new IntList(batch.length * 8);
        IntList slotTargets = new IntList(batch.length * 8);
        IntList wholeSlots = new IntList(batch.length * 8);
        int[] scratch = new int[16];
        int hopStart = 0;
        for (int hop = 0; hop < fanouts.length; hop++) {
            int hopEnd = nodes.size();
            for (int local = hopStart; local < hopEnd; local++) {
                int node = nodes.get(local);
                graph.incoming(node, incoming);
                // Entries are drawn by their index, which orders them as their slot ids do.
                int selfLoop = incoming.selfLoopIndex();
                int candidates = incoming.count() - (selfLoop >= 0 ? 1 : 0);
                int take = fanouts[hop] == ALL ? candidates : Math.min(fanouts[hop], candidates);
                if (scratch.length < candidates + 1) {
                    scratch = new int[Math.max(candidates + 1, scratch.length * 2)];
                }
                int count = 0;
                for (int entry = 0; entry < incoming.count(); entry++) {
                    if (entry != selfLoop) {
                        scratch[count++] = entry;
                    }
                }
                if (take < candidates) {
                    chooseFirst(scratch, candidates, take, CounterRng.streamKey(seed, epoch, batchIndex, node));
                }
                if (selfLoop >= 0) {
                    scratch[take++] = selfLoop;
                }
                Arrays.sort(scratch, 0, take);
                for (int k = 0; k < take; k++) {
                    int entry = scratch[k];
                    int source = incoming.source(entry);
                    if (localOf[source] < 0) {
                        localOf[source] = nodes.size();
                        nodes.add(source);
                    }
                    slotSources.add(localOf[source]);
                    slotTargets.add(local);
                    wholeSlots.add(incoming.slot(entry));
                }
            }
            hopStart = hopEnd;
        }
        // The last hop's nodes are inputs only: their self loop is all they attend to.
        for (int local = hopStart; local < nodes.size(); local++) {
            int selfLoop = graph.selfLoopSlot(nodes.get(local));
            if (selfLoop >= 0) {
                slotSources.add(local);
                slotTargets.add(local);
                wholeSlots.add(selfLoop);
            }
        }
        IncomingCsr subgraph = new GraphBuilder(nodes.size()).selfLoops(false)
                .build(slotSources.toArray(), slotTargets.toArray());
        return new SampledSubgraph(subgraph, nodes.toArray(), wholeSlots.toArray(), batch.length);
    }

    /** Moves a uniform draw of {@code take} of {@code values[0, count)} to the front (partial Fisher–Yates). */
    static void chooseFirst(int[] values, int count, int take, long key) {
        for (int i = 0; i < take; i++) {
            long bits = CounterRng.bits(key, i) & 0xffff_ffffL;
            int j = i + (int) ((bits * (count - i)) >>> 32);
            int swap = values[i];
            values[i] = values[j];
            values[j] = swap;
        }
    }
}
