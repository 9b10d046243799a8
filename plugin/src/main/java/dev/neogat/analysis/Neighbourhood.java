package dev.neogat.analysis;

import dev.neogat.graph.GraphBuilder;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.SparseMatrix;


/**
 * The L-hop in-neighbourhood of one target node of an attention graph, as a graph of its own on which an
 * L-layer GAT gives the target exactly the output it gets on the whole graph.
 *
 * <p>A node at distance d from the target (along incoming slots) feeds the target through layers
 * d+1 .. L, so its outputs of layers 1 .. L-d must be exact: every node at distance below L keeps all its
 * incoming slots (its softmax sees the same terms), in the whole graph's slot order (the same float sums).
 * Nodes at distance exactly L only give their input features; their own slots are left out, so their
 * layer outputs in the subgraph differ from the whole graph's but reach the target through no path.
 *
 * <p>Local node 0 is the target; local ids follow breadth-first order. Local slot k of {@link #build} with
 * nothing removed is the k-th slot listed here. Only the neighbourhood is read: the cost is proportional
 * to its slots, not to the graph.
 */
public final class Neighbourhood extends LocalSlots {

    private final IncomingCsr graph;
    private final int hops;
    private final int[] nodes;

    private Neighbourhood(IncomingCsr graph, int hops, Walk walk) {
        super(walk, storedEdges(graph, walk.slotGlobal()));
        this.graph = graph;
        this.hops = hops;
        this.nodes = walk.nodes();
    }

    /** The stored edge behind each of {@code slots}, -1 for a self loop the graph added. */
    private static int[] storedEdges(IncomingCsr graph, int[] slots) {
        int[] edges = new int[slots.length];
        for (int k = 0; k < slots.length; k++) {
            int edge = graph.originalEdge(slots[k]);
            edges[k] = edge == IncomingCsr.ADDED_SELF_LOOP ? -1 : edge;
        }
        return edges;
    }

    /** The nodes within {@code hops} incoming steps of {@code target} and the slots that reach it. */
    public static Neighbourhood of(IncomingCsr graph, int target, int hops) {
        if (target < 0 || target >= graph.nodeCount()) {
            throw new IllegalArgumentException("Node " + target + " is outside the graph's node range [0, "
                    + graph.nodeCount() + ")");
        }
        if (hops < 1) {
            throw new IllegalArgumentException("A neighbourhood needs at least 1 hop, got " + hops);
        }
        Walk walk = new Walk(target);
        int[] offsets = graph.offsets();
        int[] sources = graph.sources();
        for (int local = 0; local < walk.nodeCount(); local++) {
            if (walk.distance(local) == hops) {
                continue;
            }
            int node = walk.node(local);
            for (int slot = offsets[node]; slot < offsets[node + 1]; slot++) {
                walk.slot(slot, sources[slot], local);
            }
        }
        return new Neighbourhood(graph, hops, walk);
    }

    public int hops() {
        return hops;
    }

    /** Graph id of local node {@code local}; local 0 is the target. */
    public int node(int local) {
        return nodes[local];
    }

    /** Whether local slot {@code k} reads its relationship backwards (end node → start node). */
    public boolean isReversed(int k) {
        return graph.isReversed(globalSlot(k));
    }

    /** The neighbourhood as a graph, without the local slots marked in {@code removed} (null: none). */
    public IncomingCsr build(boolean[] removed) {
        int kept = 0;
        for (int k = 0; k < slotCount(); k++) {
            if (removed == null || !removed[k]) {
                kept++;
            }
        }
        int[] sources = new int[kept];
        int[] targets = new int[kept];
        int e = 0;
        for (int k = 0; k < slotCount(); k++) {
            if (removed == null || !removed[k]) {
                sources[e] = slotSource(k);
                targets[e++] = slotTarget(k);
            }
        }
        // Every slot, self loops included, is an edge of its own: same softmax terms, same order.
        return new GraphBuilder(nodes.length).selfLoops(false).build(sources, targets);
    }

    /**
     * The relationship features of the edges of {@link #build}({@code removed}), one row per kept local slot in
     * order, from {@code perEdge} (one row per edge of the whole graph), as {@link dev.neogat.nn.EdgeFeatures#perSlot}
     * gives them on the whole graph without the removed slots: a slot carries its edge's row; a self loop the graph
     * added carries the mean over its node's other kept incoming slots (a node that has one is closer than
     * {@code hops}, so all its incoming slots are here), zeros when none is kept.
     */
    public DenseMatrix slotFeatures(DenseMatrix perEdge, boolean[] removed) {
        int d = perEdge.cols();
        float[] edges = perEdge.data();
        int[] sources = graph.sources();
        // A node's incoming slots are listed together in slot order: float sums in EdgeFeatures' order.
        float[] sums = new float[Math.multiplyExact(nodes.length, d)];
        int[] counted = new int[nodes.length];
        int kept = 0;
        for (int k = 0; k < slotCount(); k++) {
            if (removed != null && removed[k]) {
                continue;
            }
            kept++;
            int edge = graph.originalEdge(globalSlot(k));
            if (edge != IncomingCsr.ADDED_SELF_LOOP && sources[globalSlot(k)] != nodes[slotTarget(k)]) {
                int target = slotTarget(k);
                for (int c = 0; c < d; c++) {
                    sums[target * d + c] += edges[edge * d + c];
                }
                counted[target]++;
            }
        }
        float[] rows = new float[Math.multiplyExact(kept, d)];
        int row = 0;
        for (int k = 0; k < slotCount(); k++) {
            if (removed != null && removed[k]) {
                continue;
            }
            int edge = graph.originalEdge(globalSlot(k));
            if (edge != IncomingCsr.ADDED_SELF_LOOP) {
                System.arraycopy(edges, edge * d, rows, row * d, d);
            } else {
                int target = slotTarget(k);
                for (int c = 0; counted[target] > 0 && c < d; c++) {
                    rows[row * d + c] = sums[target * d + c] / counted[target];
                }
            }
            row++;
        }
        return new DenseMatrix(kept, d, rows);
    }

    /** The rows of {@code features} for the neighbourhood's nodes, sparse when they are sparse. */
    public FeatureMatrix features(FeatureMatrix features) {
        return rows(features, nodes);
    }

    /** The rows {@code nodes} of {@code features}, in that order, sparse when they are sparse. */
    static FeatureMatrix rows(FeatureMatrix features, int[] nodes) {
        int cols = features.cols();
        if (features instanceof SparseMatrix sparse) {
            int[] rowOffsets = new int[nodes.length + 1];
            for (int i = 0; i < nodes.length; i++) {
                int node = nodes[i];
                rowOffsets[i + 1] = rowOffsets[i] + sparse.rowOffsets()[node + 1] - sparse.rowOffsets()[node];
            }
            int[] columns = new int[rowOffsets[nodes.length]];
            float[] values = new float[columns.length];
            for (int i = 0; i < nodes.length; i++) {
                int from = sparse.rowOffsets()[nodes[i]];
                int length = rowOffsets[i + 1] - rowOffsets[i];
                System.arraycopy(sparse.columns(), from, columns, rowOffsets[i], length);
                System.arraycopy(sparse.values(), from, values, rowOffsets[i], length);
            }
            return new SparseMatrix(nodes.length, cols, rowOffsets, columns, values);
        }
        DenseMatrix dense = (DenseMatrix) features;
        float[] data = new float[Math.multiplyExact(nodes.length, cols)];
        for (int i = 0; i < nodes.length; i++) {
            System.arraycopy(dense.data(), nodes[i] * cols, data, i * cols, cols);
        }
        return new DenseMatrix(nodes.length, cols, data);
    }

    /** Row {@code v} of {@code features}, dense. */
    static float[] row(FeatureMatrix features, int v) {
        if (features instanceof DenseMatrix dense) {
            return dense.row(v);
        }
        SparseMatrix sparse = (SparseMatrix) features;
        float[] row = new float[features.cols()];
        for (int e = sparse.rowOffsets()[v]; e < sparse.rowOffsets()[v + 1]; e++) {
            row[sparse.columns()[e]] = sparse.values()[e];
        }
        return row;
    }
}
