package dev.neogat.analysis;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@link Neighbourhood} and {@link TypedNeighbourhood} hold alike: each local node's distance to the target, each
 * local slot's source and target (local ids) and the whole graph's slot it copies, and the stored relationships behind
 * the slots, in the order their first slot is listed, each with its slots in order.
 */
abstract class LocalSlots implements LocalGraph {

    private final int[] distance;
    private final int[] slotGlobal;
    private final int[] slotSource;
    private final int[] slotTarget;
    private final int[] relationships;
    private final int[][] relationshipSlots;

    /** {@code slotRelationship}: the caller's id of each slot's stored relationship, -1 for an added self loop. */
    LocalSlots(int[] distance, int[] slotGlobal, int[] slotSource, int[] slotTarget, int[] slotRelationship) {
        this.distance = distance;
        this.slotGlobal = slotGlobal;
        this.slotSource = slotSource;
        this.slotTarget = slotTarget;
        Map<Integer, Growable> byRelationship = new LinkedHashMap<>();
        for (int k = 0; k < slotRelationship.length; k++) {
            if (slotRelationship[k] >= 0) {
                byRelationship.computeIfAbsent(slotRelationship[k], r -> new Growable()).add(k);
            }
        }
        relationships = new int[byRelationship.size()];
        relationshipSlots = new int[byRelationship.size()][];
        int r = 0;
        for (Map.Entry<Integer, Growable> entry : byRelationship.entrySet()) {
            relationships[r] = entry.getKey();
            relationshipSlots[r++] = entry.getValue().toArray();
        }
    }

    @Override
    public int nodeCount() {
        return distance.length;
    }

    @Override
    public int distance(int local) {
        return distance[local];
    }

    @Override
    public int slotCount() {
        return slotGlobal.length;
    }

    /** The whole graph's slot that local slot {@code k} copies (in its relation's graph, when typed). */
    public int globalSlot(int k) {
        return slotGlobal[k];
    }

    @Override
    public int slotSource(int k) {
        return slotSource[k];
    }

    @Override
    public int slotTarget(int k) {
        return slotTarget[k];
    }

    @Override
    public int relationshipCount() {
        return relationships.length;
    }

    @Override
    public int relationship(int r) {
        return relationships[r];
    }

    @Override
    public int[] relationshipSlots(int r) {
        return relationshipSlots[r];
    }

    /** A growable int list: neighbourhoods of dense graphs hold hundreds of thousands of slots. */
    static final class Growable {
        private int[] values = new int[16];
        private int size;

        void add(int value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        int get(int i) {
            return values[i];
        }

        int size() {
            return size;
        }

        int[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
