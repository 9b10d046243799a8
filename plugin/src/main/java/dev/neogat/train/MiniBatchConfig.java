package dev.neogat.train;

import dev.neogat.graph.NeighbourSampler;

import java.util.Arrays;

/**
 * Sampled mini-batch training, as PyG's {@code NeighborLoader}: {@code batchSize} training nodes per Adam
 * step, and per layer the incoming neighbours each node draws ({@code fanouts[0]} for the batch nodes, the
 * last layer's targets; {@code -1}: all of them).
 */
public record MiniBatchConfig(int batchSize, int[] fanouts) {

    /** Batch nodes per step: PyG's usual choice; a 2-layer [10, 10] batch then holds at most ~56 000 nodes. */
    public static final int DEFAULT_BATCH_SIZE = 512;
    /** Neighbours drawn per node and layer: GraphSAGE's and PyG's examples use 10 to 25. */
    public static final int DEFAULT_FANOUT = 10;

    public MiniBatchConfig {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
        }
        fanouts = fanouts.clone();
        for (int h = 0; h < fanouts.length; h++) {
            if (fanouts[h] < 1 && fanouts[h] != NeighbourSampler.ALL) {
                throw new IllegalArgumentException("fanouts[" + h + "] must be at least 1, or -1 for all neighbours, got "
                        + fanouts[h]);
            }
        }
    }

    /** The default fanout for each of {@code layers} layers. */
    public static int[] defaultFanouts(int layers) {
        int[] fanouts = new int[layers];
        Arrays.fill(fanouts, DEFAULT_FANOUT);
        return fanouts;
    }

    @Override
    public int[] fanouts() {
        return fanouts.clone();
    }

    /** Checks that there is one fanout per layer. */
    public void requireLayers(int layers) {
        if (fanouts.length != layers) {
            throw new IllegalArgumentException("fanouts lists " + fanouts.length + " values " + Arrays.toString(fanouts)
                    + " but the model has " + layers + " layers; give one fanout per layer");
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof MiniBatchConfig that && batchSize == that.batchSize
                && Arrays.equals(fanouts, that.fanouts);
    }

    @Override
    public int hashCode() {
        return 31 * batchSize + Arrays.hashCode(fanouts);
    }

    @Override
    public String toString() {
        return "MiniBatchConfig[batchSize=" + batchSize + ", fanouts=" + Arrays.toString(fanouts) + "]";
    }
}
