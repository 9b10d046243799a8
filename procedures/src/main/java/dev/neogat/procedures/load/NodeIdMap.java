package dev.neogat.procedures.load;

import java.util.Arrays;

/**
 * Neo4j node ids ↔ dense ids 0..n-1 in the order nodes were added: an open-addressing hash table of
 * primitive longs (no boxing for millions of nodes), filled to at most {@link #MAX_LOAD}, and the reverse array.
 * Given the expected size, neither grows (10 M ids: 16 Mi slots, 281 MB, where doubling from a small table held
 * up to 600 MB at once).
 */
public final class NodeIdMap {

    private static final long EMPTY = -1;
    /** The largest share of the table's slots in use; linear probing stays short below it. */
    private static final double MAX_LOAD = 0.7;

    private long[] keys;
    private int[] values;
    private long[] neo4jIds;
    private int size;

    public NodeIdMap(int expectedSize) {
        int capacity = tableSize(expectedSize);
        keys = new long[capacity];
        values = new int[capacity];
        Arrays.fill(keys, EMPTY);
        neo4jIds = new long[Math.max(16, expectedSize)];
    }

    /** The dense id of {@code neo4jId}, added if new. */
    public int add(long neo4jId) {
        int existing = toDense(neo4jId);
        if (existing >= 0) {
            return existing;
        }
        if (size + 1 > MAX_LOAD * keys.length) {
            grow();
        }
        insert(neo4jId, size);
        if (size == neo4jIds.length) {
            neo4jIds = Arrays.copyOf(neo4jIds, size * 2);
        }
        neo4jIds[size] = neo4jId;
        return size++;
    }

    /** The dense id of {@code neo4jId}, or -1 when the node is not in the map. */
    public int toDense(long neo4jId) {
        int mask = keys.length - 1;
        for (int slot = hash(neo4jId) & mask; ; slot = (slot + 1) & mask) {
            long key = keys[slot];
            if (key == neo4jId) {
                return values[slot];
            }
            if (key == EMPTY) {
                return -1;
            }
        }
    }

    public long toNeo4j(int denseId) {
        return neo4jIds[denseId];
    }

    public int size() {
        return size;
    }

    private void insert(long neo4jId, int denseId) {
        int mask = keys.length - 1;
        int slot = hash(neo4jId) & mask;
        while (keys[slot] != EMPTY) {
            slot = (slot + 1) & mask;
        }
        keys[slot] = neo4jId;
        values[slot] = denseId;
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new int[oldValues.length * 2];
        Arrays.fill(keys, EMPTY);
        for (int slot = 0; slot < oldKeys.length; slot++) {
            if (oldKeys[slot] != EMPTY) {
                insert(oldKeys[slot], oldValues[slot]);
            }
        }
    }

    /** The smallest power of two whose {@link #MAX_LOAD} share holds {@code expectedSize} ids (at least 16). */
    static int tableSize(int expectedSize) {
        long needed = (long) Math.ceil(Math.max(16, expectedSize) / MAX_LOAD);
        return (int) Math.min(1L << 30, Long.highestOneBit(needed - 1) << 1);
    }

    private static int hash(long key) {
        long h = key * 0x9e3779b97f4a7c15L;
        return (int) (h ^ (h >>> 32));
    }
}
