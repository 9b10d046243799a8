package dev.neogat.procedures.load;

import java.util.Arrays;

/**
 * Edges as a loader finds them, in order: source, target (dense or type-local ids) and relationship id, in arrays
 * grown by doubling. A loader that keeps more per edge extends it and grows its own arrays in {@link #grown}.
 */
class EdgeArrays {

    private int[] sources;
    private int[] targets;
    private long[] relationshipIds;
    private int count;

    EdgeArrays(int capacity) {
        sources = new int[capacity];
        targets = new int[capacity];
        relationshipIds = new long[capacity];
    }

    /** Adds an edge and returns its index. */
    int add(int source, int target, long relationshipId) {
        if (count == sources.length) {
            int capacity = count * 2;
            sources = Arrays.copyOf(sources, capacity);
            targets = Arrays.copyOf(targets, capacity);
            relationshipIds = Arrays.copyOf(relationshipIds, capacity);
            grown(capacity);
        }
        sources[count] = source;
        targets[count] = target;
        relationshipIds[count] = relationshipId;
        return count++;
    }

    /** Called when the arrays have grown to {@code capacity}, for a subclass's own per-edge arrays. */
    void grown(int capacity) {
    }

    int count() {
        return count;
    }

    int[] sources() {
        return Arrays.copyOf(sources, count);
    }

    int[] targets() {
        return Arrays.copyOf(targets, count);
    }

    long[] relationshipIds() {
        return Arrays.copyOf(relationshipIds, count);
    }
}
