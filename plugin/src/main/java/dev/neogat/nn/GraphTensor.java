package dev.neogat.nn;

/** The attention graph (an {@link dev.neogat.graph.IncomingCsr}) resident on a backend. */
public interface GraphTensor {

    int nodeCount();

    int slotCount();

    /** Number of source nodes; differs from {@link #nodeCount()} only for a relation between two node types. */
    default int sourceCount() {
        return nodeCount();
    }
}
