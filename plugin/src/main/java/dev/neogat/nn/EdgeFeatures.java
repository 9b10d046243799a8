package dev.neogat.nn;

import dev.neogat.graph.IncomingCsr;

/**
 * Relationship features per attention slot, from the features of the caller's edges ([edges, d], rows in
 * the order of the arrays given to the graph builder): a slot carries the features of the edge it came
 * from (both slots of an undirected edge, the kept slot of duplicates); a self loop the builder added
 * carries the mean of its node's other incoming slots' features, zeros when it has none (PyG's
 * {@code fill_value='mean'}). {@link #edgeGradient} takes a per-slot gradient back to the edges.
 */
public final class EdgeFeatures {

    private EdgeFeatures() {
    }

    /** [slots, d] from [edges, d]. */
    public static DenseMatrix perSlot(IncomingCsr csr, DenseMatrix perEdge) {
        return perSlot(csr, perEdge, 0, csr.nodeCount());
    }

    /**
     * The rows of {@link #perSlot(IncomingCsr, DenseMatrix)} for the incoming slots of the targets [start, end):
     * [offsets[end] - offsets[start], d], computed from those targets' slots alone.
     */
    public static DenseMatrix perSlot(IncomingCsr csr, DenseMatrix perEdge, int start, int end) {
        if (perEdge.rows() != csr.originalEdgeCount()) {
            throw new IllegalArgumentException("There are " + perEdge.rows() + " rows of relationship features for "
                    + csr.originalEdgeCount() + " relationships");
        }
        int d = perEdge.cols();
        float[] edges = perEdge.data();
        int[] offsets = csr.offsets();
        int firstSlot = offsets[start];
        float[] slots = new float[Math.multiplyExact(offsets[end] - firstSlot, d)];
        for (int i = start; i < end; i++) {
            int addedLoop = -1;
            int counted = 0;
            float[] sum = new float[d];
            for (int slot = offsets[i]; slot < offsets[i + 1]; slot++) {
                int edge = csr.originalEdge(slot);
                if (edge == IncomingCsr.ADDED_SELF_LOOP) {
                    addedLoop = slot;
                    continue;
                }
                System.arraycopy(edges, edge * d, slots, (slot - firstSlot) * d, d);
                if (csr.sources()[slot] != i) {
                    for (int k = 0; k < d; k++) {
                        sum[k] += edges[edge * d + k];
                    }
                    counted++;
                }
            }
            if (addedLoop >= 0 && counted > 0) {
                for (int k = 0; k < d; k++) {
                    slots[(addedLoop - firstSlot) * d + k] = sum[k] / counted;
                }
            }
        }
        return new DenseMatrix(offsets[end] - firstSlot, d, slots);
    }

    /** The features per slot on {@code backend}, or null when there are none ({@code perEdge} null). */
    public static Tensor upload(Backend backend, IncomingCsr csr, DenseMatrix perEdge) {
        if (perEdge == null) {
            return null;
        }
        DenseMatrix slots = perSlot(csr, perEdge);
        return backend.upload(slots.data(), slots.rows(), slots.cols());
    }

    /** Fails unless {@code perEdge} (null for none) has one row per edge of {@code csr} and {@code edgeDim} columns. */
    public static void requireFits(int edgeDim, IncomingCsr csr, DenseMatrix perEdge) {
        int given = perEdge == null ? 0 : perEdge.cols();
        if (given != edgeDim) {
            throw new IllegalArgumentException(edgeDim == 0
                    ? "Relationship features were given (" + given + " per relationship) but the model attends"
                    + " over none"
                    : "The model attends over " + edgeDim + " relationship features per relationship but "
                    + (perEdge == null ? "none were given" : "these relationships have " + given));
        }
        if (perEdge != null && perEdge.rows() != csr.originalEdgeCount()) {
            throw new IllegalArgumentException("There are " + perEdge.rows() + " rows of relationship features for "
                    + csr.originalEdgeCount() + " relationships");
        }
    }

    /** [edges, d]: the gradient of the edges' features, given the gradient [slots, d] of {@link #perSlot}. */
    public static DenseMatrix edgeGradient(IncomingCsr csr, DenseMatrix dPerSlot) {
        int d = dPerSlot.cols();
        float[] dSlots = dPerSlot.data();
        float[] dEdges = new float[csr.originalEdgeCount() * d];
        int[] offsets = csr.offsets();
        for (int i = 0; i < csr.nodeCount(); i++) {
            int addedLoop = -1;
            int counted = 0;
            for (int slot = offsets[i]; slot < offsets[i + 1]; slot++) {
                int edge = csr.originalEdge(slot);
                if (edge == IncomingCsr.ADDED_SELF_LOOP) {
                    addedLoop = slot;
                } else {
                    for (int k = 0; k < d; k++) {
                        dEdges[edge * d + k] += dSlots[slot * d + k];
                    }
                    if (csr.sources()[slot] != i) {
                        counted++;
                    }
                }
            }
            if (addedLoop < 0 || counted == 0) {
                continue;
            }
            for (int slot = offsets[i]; slot < offsets[i + 1]; slot++) {
                int edge = csr.originalEdge(slot);
                if (edge != IncomingCsr.ADDED_SELF_LOOP && csr.sources()[slot] != i) {
                    for (int k = 0; k < d; k++) {
                        dEdges[edge * d + k] += dSlots[addedLoop * d + k] / counted;
                    }
                }
            }
        }
        return new DenseMatrix(csr.originalEdgeCount(), d, dEdges);
    }
}
