package dev.neogat.nn.cpu;

import dev.neogat.graph.IncomingCsr;
import dev.neogat.nn.GraphTensor;

/** The CPU backend's graph is the CSR itself. */
final class CpuGraph implements GraphTensor {

    final IncomingCsr csr;
    private final long averageDegree;

    CpuGraph(IncomingCsr csr) {
        this.csr = csr;
        this.averageDegree = csr.slotCount() / Math.max(1, csr.nodeCount()) + 1;
    }

    @Override
    public int nodeCount() {
        return csr.nodeCount();
    }

    @Override
    public int sourceCount() {
        return csr.sourceCount();
    }

    @Override
    public int slotCount() {
        return csr.slotCount();
    }

    /** Grain for a loop over target nodes costing {@code workPerSlot} per incoming slot. */
    int targetGrain(long workPerSlot) {
        return Chunking.grain(averageDegree * workPerSlot);
    }

    /** Grain for a loop over source nodes costing {@code workPerSlot} per outgoing slot. */
    int sourceGrain(long workPerSlot) {
        return Chunking.grain(averageDegree * workPerSlot);
    }
}
