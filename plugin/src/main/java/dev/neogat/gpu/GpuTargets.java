package dev.neogat.gpu;

import dev.neogat.nn.Targets;

/**
 * A node set with its labels in device memory: the class of each node (single-label) or its 0/1 class
 * memberships (multi-label), and per-node scratch for losses and metric counts.
 */
final class GpuTargets implements Targets {

    final int size;
    final int classes;
    final boolean multiLabel;
    final DeviceBuffer nodes;
    /** int per node (single-label) or float per node and class (multi-label). */
    final DeviceBuffer labels;
    final DeviceBuffer losses;
    /** One int per node (correct), or three (true positives, false positives, false negatives). */
    final DeviceBuffer counts;

    GpuTargets(int size, int classes, boolean multiLabel, DeviceBuffer nodes, DeviceBuffer labels,
               DeviceBuffer losses, DeviceBuffer counts) {
        this.size = size;
        this.classes = classes;
        this.multiLabel = multiLabel;
        this.nodes = nodes;
        this.labels = labels;
        this.losses = losses;
        this.counts = counts;
    }

    DeviceBuffer[] buffers() {
        return new DeviceBuffer[]{nodes, labels, losses, counts};
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean multiLabel() {
        return multiLabel;
    }
}
