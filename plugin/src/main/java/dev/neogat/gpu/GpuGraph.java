package dev.neogat.gpu;

import dev.neogat.nn.GraphTensor;

/**
 * The attention graph in device memory: incoming slots per target (offsets, sources), the target of each
 * slot, and the transposed index (outgoing slots per source with their targets) for gathers in backward.
 */
final class GpuGraph implements GraphTensor {

    final int nodeCount;
    /** Number of source nodes: nodeCount, or the source type's count for a bipartite relation. */
    final int sourceCount;
    final int slotCount;
    final DeviceBuffer offsets;
    final DeviceBuffer sources;
    final DeviceBuffer slotTargets;
    final DeviceBuffer outOffsets;
    final DeviceBuffer outSlots;
    final DeviceBuffer outTargets;

    GpuGraph(int nodeCount, int sourceCount, int slotCount, DeviceBuffer offsets, DeviceBuffer sources, DeviceBuffer slotTargets,
             DeviceBuffer outOffsets, DeviceBuffer outSlots, DeviceBuffer outTargets) {
        this.nodeCount = nodeCount;
        this.sourceCount = sourceCount;
        this.slotCount = slotCount;
        this.offsets = offsets;
        this.sources = sources;
        this.slotTargets = slotTargets;
        this.outOffsets = outOffsets;
        this.outSlots = outSlots;
        this.outTargets = outTargets;
    }

    DeviceBuffer[] buffers() {
        return new DeviceBuffer[]{offsets, sources, slotTargets, outOffsets, outSlots, outTargets};
    }

    @Override
    public int nodeCount() {
        return nodeCount;
    }

    @Override
    public int sourceCount() {
        return sourceCount;
    }

    @Override
    public int slotCount() {
        return slotCount;
    }
}
