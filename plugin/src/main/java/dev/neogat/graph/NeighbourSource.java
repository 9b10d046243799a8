package dev.neogat.graph;

import java.util.Arrays;

/**
 * Where a {@link NeighbourSampler} reads a node's incoming message slots: their source nodes and the whole
 * graph's slot ids, in slot order. The in-heap {@link IncomingCsr} is one source ({@link #of}); a reader of the
 * database's store is another. Sources that number nodes and slots alike give the sampler the same draws.
 */
public interface NeighbourSource {

    /** Nodes of the whole graph; node ids are [0, nodeCount). */
    int nodeCount();

    /** Fills {@code into} with {@code node}'s incoming slots, self loop included, in ascending slot order. */
    void incoming(int node, Slots into);

    /** The whole graph's slot of {@code node}'s self loop, or -1 when it has none. */
    int selfLoopSlot(int node);

    /** The slots of an in-heap CSR as they are. */
    static NeighbourSource of(IncomingCsr graph) {
        return new NeighbourSource() {
            @Override
            public int nodeCount() {
                return graph.nodeCount();
            }

            @Override
            public void incoming(int node, Slots into) {
                into.clear();
                int[] offsets = graph.offsets();
                int[] sources = graph.sources();
                int selfLoop = graph.selfLoopSlot(node);
                for (int slot = offsets[node]; slot < offsets[node + 1]; slot++) {
                    into.add(sources[slot], slot, slot == selfLoop);
                }
            }

            @Override
            public int selfLoopSlot(int node) {
                return graph.selfLoopSlot(node);
            }
        };
    }

    /** A reusable list of one node's incoming slots: source node and whole-graph slot id per entry. */
    final class Slots {
        private int[] sources = new int[16];
        private int[] slots = new int[16];
        private int count;
        private int selfLoopIndex = -1;

        public void clear() {
            count = 0;
            selfLoopIndex = -1;
        }

        /** Appends a slot; {@code selfLoop} marks the node's own self loop. */
        public void add(int source, int slot, boolean selfLoop) {
            if (count == sources.length) {
                sources = Arrays.copyOf(sources, count * 2);
                slots = Arrays.copyOf(slots, count * 2);
            }
            if (selfLoop) {
                selfLoopIndex = count;
            }
            sources[count] = source;
            slots[count++] = slot;
        }

        public int count() {
            return count;
        }

        public int source(int index) {
            return sources[index];
        }

        public int slot(int index) {
            return slots[index];
        }

        /** Index of the self loop among the entries, or -1. */
        public int selfLoopIndex() {
            return selfLoopIndex;
        }
    }
}
