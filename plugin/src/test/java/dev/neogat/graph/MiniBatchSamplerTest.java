package dev.neogat.graph;

import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.SyntheticGraphs;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MiniBatchSamplerTest {

    private static final Dataset DATA = SyntheticGraphs.generate(
            new SyntheticGraphs.Spec(600, 6, 4, 40, false, 0, 0.8, 0.5, 100, 200, 5));
    private static final IncomingCsr GRAPH = DATA.undirectedGraph();
    private static final int[] BATCH = {3, 17, 250, 42, 599, 0, 77, 301, 150, 151};

    @Test
    void fanoutsBoundEachHopAndEverySlotIsAnEdgeOfTheWholeGraph() {
        int[] fanouts = {3, 2};
        SampledSubgraph sub = new NeighbourSampler(GRAPH, fanouts, 11).sample(BATCH, 1, 0);
        IncomingCsr local = sub.graph();
        assertArrayEquals(BATCH, Arrays.copyOf(sub.wholeNodes(), BATCH.length), "batch nodes come first");
        assertEquals(local.nodeCount(), sub.wholeNodes().length);
        assertEquals(local.slotCount(), sub.wholeSlots().length);
        assertEquals(sub.wholeNodes().length, Arrays.stream(sub.wholeNodes()).distinct().count(), "nodes are distinct");
        int[] hop = hops(sub);
        int[] wholeSources = GRAPH.sources();
        for (int t = 0; t < local.nodeCount(); t++) {
            int whole = sub.wholeNodes()[t];
            Set<Integer> seen = new HashSet<>();
            int neighbours = 0;
            for (int s = local.offsets()[t]; s < local.offsets()[t + 1]; s++) {
                int wholeSlot = sub.wholeSlots()[s];
                assertThat(seen.add(wholeSlot)).as("slot drawn twice for node " + whole).isTrue();
                assertEquals(whole, GRAPH.targetOf(wholeSlot), "slot target");
                assertEquals(wholeSources[wholeSlot], sub.wholeNodes()[local.sources()[s]], "slot source");
                if (s > local.offsets()[t]) {
                    assertThat(wholeSlot).as("whole-graph slot order").isGreaterThan(sub.wholeSlots()[s - 1]);
                }
                if (wholeSlot != GRAPH.selfLoopSlot(whole)) {
                    neighbours++;
                }
            }
            assertThat(seen).as("every node keeps its self loop").contains(GRAPH.selfLoopSlot(whole));
            int available = GRAPH.inDegree(whole) - 1;
            int expected = hop[t] < fanouts.length ? Math.min(fanouts[hop[t]], available) : 0;
            assertEquals(expected, neighbours, "neighbours of node " + whole + " at hop " + hop[t]);
        }
        assertThat(Arrays.stream(hop).max().getAsInt()).isEqualTo(2);
    }

    @Test
    void allNeighboursWithFanoutMinusOne() {
        SampledSubgraph sub = new NeighbourSampler(GRAPH, new int[]{-1, -1}, 11).sample(BATCH, 4, 2);
        int[] hop = hops(sub);
        for (int t = 0; t < sub.graph().nodeCount(); t++) {
            int whole = sub.wholeNodes()[t];
            int expected = hop[t] < 2 ? GRAPH.inDegree(whole) : 1;
            assertEquals(expected, sub.graph().inDegree(t), "slots of node " + whole + " at hop " + hop[t]);
        }
    }

    @Test
    void drawsArePureFunctionsOfSeedEpochBatchAndNode() {
        NeighbourSampler sampler = new NeighbourSampler(GRAPH, new int[]{2, 2}, 11);
        SampledSubgraph first = sampler.sample(BATCH, 3, 1);
        SampledSubgraph again = new NeighbourSampler(GRAPH, new int[]{2, 2}, 11).sample(BATCH, 3, 1);
        assertArrayEquals(first.wholeNodes(), again.wholeNodes());
        assertArrayEquals(first.wholeSlots(), again.wholeSlots());
        // A node draws the same neighbours whatever else is in its batch.
        int node = BATCH[2];
        int[] alone = firstHopSlots(sampler.sample(new int[]{node}, 3, 1), 0);
        int[] inBatch = firstHopSlots(first, 2);
        assertArrayEquals(alone, inBatch);
        boolean epochChanges = false;
        boolean seedChanges = false;
        for (int epoch = 4; epoch < 14; epoch++) {
            epochChanges |= !Arrays.equals(first.wholeSlots(), sampler.sample(BATCH, epoch, 1).wholeSlots());
        }
        seedChanges |= !Arrays.equals(first.wholeSlots(),
                new NeighbourSampler(GRAPH, new int[]{2, 2}, 12).sample(BATCH, 3, 1).wholeSlots());
        assertThat(epochChanges).as("other epochs draw other neighbours").isTrue();
        assertThat(seedChanges).as("another seed draws other neighbours").isTrue();
    }

    @Test
    void everyNeighbourIsDrawnSometimes() {
        int hub = 0;
        for (int v = 0; v < GRAPH.nodeCount(); v++) {
            hub = GRAPH.inDegree(v) > GRAPH.inDegree(hub) ? v : hub;
        }
        NeighbourSampler sampler = new NeighbourSampler(GRAPH, new int[]{2}, 5);
        Set<Integer> drawn = new HashSet<>();
        for (int epoch = 0; epoch < 400; epoch++) {
            for (int slot : firstHopSlots(sampler.sample(new int[]{hub}, epoch, 0), 0)) {
                drawn.add(slot);
            }
        }
        assertEquals(GRAPH.inDegree(hub), drawn.size(), "each of the hub's slots, its self loop included, is drawn");
    }

    @Test
    void badInputIsNamed() {
        assertThat(assertThrows(IllegalArgumentException.class,
                () -> new NeighbourSampler(GRAPH, new int[]{10, 0}, 1)).getMessage()).contains("Fanout 0 at hop 1");
        NeighbourSampler sampler = new NeighbourSampler(GRAPH, new int[]{1}, 1);
        assertThat(assertThrows(IllegalArgumentException.class, () -> sampler.sample(new int[]{5, 5}, 0, 0))
                .getMessage()).contains("node 5 is listed twice");
        assertThat(assertThrows(IllegalArgumentException.class, () -> sampler.sample(new int[]{600}, 0, 0))
                .getMessage()).contains("600");
    }

    /** Whole-graph slots of local target t. */
    private static int[] firstHopSlots(SampledSubgraph sub, int t) {
        return Arrays.copyOfRange(sub.wholeSlots(), sub.graph().offsets()[t], sub.graph().offsets()[t + 1]);
    }

    /** Hop of each local node, by the order the sampler reaches them: batch nodes 0, their sources 1, ... */
    private static int[] hops(SampledSubgraph sub) {
        IncomingCsr local = sub.graph();
        int[] hop = new int[local.nodeCount()];
        Arrays.fill(hop, -1);
        for (int i = 0; i < sub.batchSize(); i++) {
            hop[i] = 0;
        }
        for (int t = 0; t < local.nodeCount(); t++) {
            for (int s = local.offsets()[t]; s < local.offsets()[t + 1]; s++) {
                int source = local.sources()[s];
                if (hop[source] < 0) {
                    hop[source] = hop[t] + 1;
                }
            }
        }
        return hop;
    }
}
