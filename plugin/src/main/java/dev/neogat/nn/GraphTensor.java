package dev.neogat.nn;

/** The attention graph (an {@link dev.neogat.graph.IncomingCsr}) resident on a backend. */
public interface GraphTensor {

    int nodeCount();

    int slotCount();
}
