package dev.neogat.analysis;

import java.util.Arrays;
import java.util.HashMap;
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

    /**
     * The nodes and slots {@code walk} met; {@code slotRelationship}: the caller's id of each slot's stored
     * relationship, -1 for an added self loop.
     */
    LocalSlots(Walk walk, int[] slotRelationship) {
        this.distance = walk.distance.toArray();
        this.slotGlobal = walk.slotGlobal.toArray();
        this.slotSource = walk.slotSource.toArray();
        this.slotTarget = walk.slotTarget.toArray();
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

    /**
     * A breadth-first walk against the message direction from one target node: the nodes in the order it meets them
     * (local ids; 0 the target) with their distance, and the slots it reads (whole graph's slot, local source and
     * target). Nodes are named by the caller's ids.
     */
    static final class Walk {
        private final Map<Integer, Integer> localOf = new HashMap<>();
        private final Growable nodes = new Growable();
        private final Growable distance = new Growable();
        private final Growable slotGlobal = new Growable();
        private final Growable slotSource = new Growable();
        private final Growable slotTarget = new Growable();

        Walk(int target) {
            localOf.put(target, 0);
            nodes.add(target);
            distance.add(0);
        }

        /** Nodes met so far; those from {@code local} on are still to be walked. */
        int nodeCount() {
            return nodes.size();
        }

        int node(int local) {
            return nodes.get(local);
        }

        int distance(int local) {
            return distance.get(local);
        }

        /** Reads slot {@code globalSlot} from node {@code source} into local node {@code target}. */
        void slot(int globalSlot, int source, int target) {
            Integer sourceLocal = localOf.get(source);
            if (sourceLocal == null) {
                sourceLocal = nodes.size();
                localOf.put(source, sourceLocal);
                nodes.add(source);
                distance.add(distance.get(target) + 1);
            }
            slotGlobal.add(globalSlot);
            slotSource.add(sourceLocal);
            slotTarget.add(target);
        }

        int[] nodes() {
            return nodes.toArray();
        }

        int[] slotGlobal() {
            return slotGlobal.toArray();
        }
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
