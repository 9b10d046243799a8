package dev.neogat.graph;

import dev.neogat.spec.Relation;
import dev.neogat.util.CounterRng;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Samples a typed batch's computation graph, the typed counterpart of {@link NeighbourSampler} (PyG's
 * {@code NeighborLoader} on a {@code HeteroData}): hop by hop, each node reached for the first time draws, per
 * relation into its type, up to {@code fanouts[hop]} of that relation's incoming slots without replacement
 * ({@code -1}: all of them); their sources join the next hop. A relation within one type keeps each node's self
 * loop besides the draws, as the whole graph has it. Nodes reached at the last hop only give their input, as in
 * {@code TypedNeighbourhood}.
 *
 * <p>Slots keep the whole graph's order per target and relation, so a subgraph that holds every neighbour sums
 * each softmax in the same order as the whole graph. The draws of a node for a relation are a pure function of
 * (seed, epoch, batch, relation, node), whatever the order or thread that asks. Node types in {@code wholeTypes}
 * keep every node, local id = whole id (a type that learns one input per node reads its parameter rows as they are).
 */
public final class TypedNeighbourSampler {

    private static final long SAMPLING_STREAM = 0x2c6f_93a1_d04b_7e15L;

    private final TypedNeighbourSource graph;
    private final int[] fanouts;
    private final long seed;
    private final Set<String> wholeTypes;
    private final List<String> types;
    private final List<Relation> relations;

    /** {@code fanouts[h]}: slots drawn per node, relation and hop h (hop 0 = the batch nodes), ≥ 1 or -1. */
    public TypedNeighbourSampler(TypedGraph graph, int[] fanouts, long seed, Set<String> wholeTypes) {
        this(TypedNeighbourSource.of(graph), fanouts, seed, wholeTypes);
    }

    /** As {@link #TypedNeighbourSampler(TypedGraph, int[], long, Set)}, reading slots from any {@code source}. */
    public TypedNeighbourSampler(TypedNeighbourSource graph, int[] fanouts, long seed, Set<String> wholeTypes) {
        if (fanouts.length == 0) {
            throw new IllegalArgumentException("At least one fanout is needed (one per layer)");
        }
        for (int h = 0; h < fanouts.length; h++) {
            if (fanouts[h] < 1 && fanouts[h] != NeighbourSampler.ALL) {
                throw new IllegalArgumentException("Fanout " + fanouts[h] + " at hop " + h
                        + " must be at least 1, or -1 for all neighbours");
            }
        }
        for (String type : wholeTypes) {
            graph.nodeCount(type);
        }
        this.graph = graph;
        this.fanouts = fanouts.clone();
        this.seed = CounterRng.mix64(seed ^ SAMPLING_STREAM);
        this.wholeTypes = Set.copyOf(wholeTypes);
        this.types = graph.nodeTypes();
        this.relations = graph.relations();
    }

    /** The subgraph of {@code batch} (distinct nodes of {@code targetType}) for draw (epoch, batchIndex). */
    public TypedSampledSubgraph sample(String targetType, int[] batch, long epoch, long batchIndex) {
        int typeCount = types.size();
        int target = types.indexOf(targetType);
        if (target < 0) {
            throw new IllegalArgumentException("Unknown node type '" + targetType + "'; the node types are " + types);
        }
        int[][] localOf = new int[typeCount][];
        IntList[] nodes = new IntList[typeCount];
        IntList[] distance = new IntList[typeCount];
        for (int t = 0; t < typeCount; t++) {
            int count = graph.nodeCount(types.get(t));
            localOf[t] = new int[count];
            nodes[t] = new IntList(16);
            distance[t] = new IntList(16);
            if (wholeTypes.contains(types.get(t))) {
                for (int i = 0; i < count; i++) {
                    localOf[t][i] = i;
                    nodes[t].add(i);
                    distance[t].add(TypedSampledSubgraph.UNREACHED);
                }
            } else {
                Arrays.fill(localOf[t], -1);
            }
        }
        // The frontier of a hop: (type, whole index) of each node reached for the first time at that hop.
        IntList frontierTypes = new IntList(batch.length);
        IntList frontierNodes = new IntList(batch.length);
        int[] batchLocals = new int[batch.length];
        for (int b = 0; b < batch.length; b++) {
            int node = batch[b];
            if (node < 0 || node >= localOf[target].length) {
                throw new IllegalArgumentException("Batch node " + node + " is outside [0, " + localOf[target].length
                        + ") of '" + targetType + "'");
            }
            int local = reach(localOf, nodes, distance, target, node, 0);
            if (local < 0) {
                throw new IllegalArgumentException("Batch node " + node + " is listed twice");
            }
            batchLocals[b] = local;
            frontierTypes.add(target);
            frontierNodes.add(node);
        }
        IntList[] edgeSources = new IntList[relations.size()];
        IntList[] edgeTargets = new IntList[relations.size()];
        IntList[] edgeWholeSlots = new IntList[relations.size()];
        for (int r = 0; r < relations.size(); r++) {
            edgeSources[r] = new IntList(16);
            edgeTargets[r] = new IntList(16);
            edgeWholeSlots[r] = new IntList(16);
        }
        int[] scratch = new int[16];
        NeighbourSource.Slots incoming = new NeighbourSource.Slots();
        for (int hop = 0; hop < fanouts.length; hop++) {
            IntList nextTypes = new IntList(frontierTypes.size() * 4);
            IntList nextNodes = new IntList(frontierTypes.size() * 4);
            for (int f = 0; f < frontierTypes.size(); f++) {
                int t = frontierTypes.get(f);
                int node = frontierNodes.get(f);
                int targetLocal = localOf[t][node];
                for (int r = 0; r < relations.size(); r++) {
                    Relation relation = relations.get(r);
                    if (!relation.targetType().equals(types.get(t))) {
                        continue;
                    }
                    int sourceType = types.indexOf(relation.sourceType());
                    graph.incoming(r, node, incoming);
                    // Entries are drawn by their index, which orders them as their slot ids do.
                    int selfLoop = incoming.selfLoopIndex();
                    int candidates = incoming.count() - (selfLoop >= 0 ? 1 : 0);
                    int take = fanouts[hop] == NeighbourSampler.ALL ? candidates : Math.min(fanouts[hop], candidates);
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
                        NeighbourSampler.chooseFirst(scratch, candidates, take,
                                CounterRng.streamKey(seed + r, epoch, batchIndex, node));
                    }
                    if (selfLoop >= 0) {
                        scratch[take++] = selfLoop;
                    }
                    Arrays.sort(scratch, 0, take);
                    for (int k = 0; k < take; k++) {
                        int entry = scratch[k];
                        int source = incoming.source(entry);
                        int sourceLocal = localOf[sourceType][source];
                        if (sourceLocal < 0 || distance[sourceType].get(sourceLocal) == TypedSampledSubgraph.UNREACHED) {
                            sourceLocal = reach(localOf, nodes, distance, sourceType, source, hop + 1);
                            nextTypes.add(sourceType);
                            nextNodes.add(source);
                        }
                        edgeSources[r].add(sourceLocal);
                        edgeTargets[r].add(targetLocal);
                        edgeWholeSlots[r].add(incoming.slot(entry));
                    }
                }
            }
            frontierTypes = nextTypes;
            frontierNodes = nextNodes;
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        Map<String, int[]> wholeNodes = new LinkedHashMap<>();
        Map<String, int[]> distances = new LinkedHashMap<>();
        for (int t = 0; t < typeCount; t++) {
            counts.put(types.get(t), nodes[t].size());
            wholeNodes.put(types.get(t), nodes[t].toArray());
            distances.put(types.get(t), distance[t].toArray());
        }
        Map<Relation, IncomingCsr> graphs = new LinkedHashMap<>();
        Map<Relation, int[]> wholeSlots = new LinkedHashMap<>();
        for (int r = 0; r < relations.size(); r++) {
            Relation relation = relations.get(r);
            int targetCount = counts.get(relation.targetType());
            IncomingCsr csr = relation.isBipartite()
                    ? GraphBuilder.bipartite(counts.get(relation.sourceType()), targetCount)
                    .build(edgeSources[r].toArray(), edgeTargets[r].toArray())
                    : new GraphBuilder(targetCount).selfLoops(false)
                    .build(edgeSources[r].toArray(), edgeTargets[r].toArray());
            int[] bySlot = new int[csr.slotCount()];
            for (int s = 0; s < bySlot.length; s++) {
                bySlot[s] = edgeWholeSlots[r].get(csr.originalEdge(s));
            }
            graphs.put(relation, csr);
            wholeSlots.put(relation, bySlot);
        }
        return new TypedSampledSubgraph(TypedGraph.of(counts, graphs), targetType, batchLocals, wholeNodes, distances,
                wholeSlots, fanouts.length);
    }

    /**
     * Gives whole node {@code node} of type {@code t} its local id at {@code hop} and returns it; -1 when it had one
     * already (a node of a type kept whole is only marked reached).
     */
    private static int reach(int[][] localOf, IntList[] nodes, IntList[] distance, int t, int node, int hop) {
        int local = localOf[t][node];
        if (local >= 0) {
            if (distance[t].get(local) != TypedSampledSubgraph.UNREACHED) {
                return -1;
            }
            distance[t].set(local, hop);
            return local;
        }
        local = nodes[t].size();
        localOf[t][node] = local;
        nodes[t].add(node);
        distance[t].add(hop);
        return local;
    }
}
