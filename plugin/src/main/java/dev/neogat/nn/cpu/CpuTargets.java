package dev.neogat.nn.cpu;

import dev.neogat.data.NodeLabels;
import dev.neogat.nn.Targets;

/** A node set and its labels on the heap. */
final class CpuTargets implements Targets {

    final NodeLabels labels;
    final int[] nodes;

    CpuTargets(NodeLabels labels, int[] nodes) {
        this.labels = labels;
        this.nodes = nodes;
    }

    @Override
    public int size() {
        return nodes.length;
    }

    @Override
    public boolean multiLabel() {
        return labels.isMultiLabel();
    }
}
