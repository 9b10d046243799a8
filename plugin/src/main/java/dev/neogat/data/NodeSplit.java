package dev.neogat.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Which nodes train the model (their loss is minimised), which choose when to stop (validation) and
 * which measure it afterwards (test). Sets are disjoint; nodes in none still pass messages.
 */
public record NodeSplit(int[] train, int[] validation, int[] test) {

    public NodeSplit {
        train = train.clone();
        validation = validation.clone();
        test = test.clone();
    }

    /** Checks node ranges and disjointness; messages name the node and the sets. */
    public void validate(int nodeCount) {
        byte[] setOf = new byte[nodeCount];
        check(train, (byte) 1, "training", setOf);
        check(validation, (byte) 2, "validation", setOf);
        check(test, (byte) 3, "test", setOf);
    }

    private static void check(int[] nodes, byte id, String name, byte[] setOf) {
        String[] names = {"", "training", "validation", "test"};
        for (int node : nodes) {
            if (node < 0 || node >= setOf.length) {
                throw new IllegalArgumentException("The " + name + " set lists node " + node
                        + ", outside the node range [0, " + setOf.length + ")");
            }
            if (setOf[node] != 0) {
                throw new IllegalArgumentException("Node " + node + " is in the " + names[setOf[node]]
                        + (setOf[node] == id ? " set twice" : " set and in the " + name + " set"));
            }
            setOf[node] = id;
        }
    }

    /**
     * A seeded random split of the labelled nodes: {@code trainFraction} of them for training,
     * {@code validationFraction} for validation, the rest for test.
     */
    public static NodeSplit random(NodeLabels labels, double trainFraction, double validationFraction, long seed) {
        if (!(trainFraction > 0 && validationFraction >= 0 && trainFraction + validationFraction <= 1)) {
            throw new IllegalArgumentException("Split fractions must satisfy 0 < train, 0 <= validation and "
                    + "train + validation <= 1; got train " + trainFraction + ", validation " + validationFraction);
        }
        List<Integer> labeled = new ArrayList<>();
        for (int i = 0; i < labels.nodeCount(); i++) {
            if (labels.hasLabel(i)) {
                labeled.add(i);
            }
        }
        int[] nodes = labeled.stream().mapToInt(Integer::intValue).toArray();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = nodes.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int tmp = nodes[i];
            nodes[i] = nodes[j];
            nodes[j] = tmp;
        }
        int trainCount = (int) Math.round(nodes.length * trainFraction);
        int validationCount = (int) Math.round(nodes.length * validationFraction);
        validationCount = Math.min(validationCount, nodes.length - trainCount);
        int[] train = Arrays.copyOfRange(nodes, 0, trainCount);
        int[] validation = Arrays.copyOfRange(nodes, trainCount, trainCount + validationCount);
        int[] test = Arrays.copyOfRange(nodes, trainCount + validationCount, nodes.length);
        Arrays.sort(train);
        Arrays.sort(validation);
        Arrays.sort(test);
        return new NodeSplit(train, validation, test);
    }

    @Override
    public String toString() {
        return "NodeSplit{train=" + train.length + ", validation=" + validation.length + ", test=" + test.length + "}";
    }
}
