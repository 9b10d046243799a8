package dev.neogat.graph;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class GraphBuilderTest {

    /*
     * The small hand-made graph used by most tests (5 nodes, node 4 has no edge at all, node 0 has no
     * incoming edge as stored):
     *   e0: 0 -> 1
     *   e1: 2 -> 1
     *   e2: 1 -> 2
     *   e3: 3 -> 3   (self loop)
     *   e4: 0 -> 2
     * All expected arrays below were worked out by hand from this list.
     */
    private static final int NODES = 5;
    private static final int[] SOURCES = {0, 2, 1, 3, 0};
    private static final int[] TARGETS = {1, 1, 2, 3, 2};

    private static IncomingCsr build(Orientation orientation, boolean selfLoops, boolean dropDuplicates) {
        return new GraphBuilder(NODES).orientation(orientation).selfLoops(selfLoops).dropDuplicates(dropDuplicates)
                .build(SOURCES.clone(), TARGETS.clone());
    }

    private static int[] slotOfEdges(IncomingCsr g) {
        int[] result = new int[g.originalEdgeCount()];
        for (int e = 0; e < result.length; e++) {
            result[e] = g.slotOfEdge(e);
        }
        return result;
    }

    private static int[] reverseSlotOfEdges(IncomingCsr g) {
        int[] result = new int[g.originalEdgeCount()];
        for (int e = 0; e < result.length; e++) {
            result[e] = g.reverseSlotOfEdge(e);
        }
        return result;
    }

    private static int[] originalEdges(IncomingCsr g) {
        int[] result = new int[g.slotCount()];
        for (int s = 0; s < result.length; s++) {
            result[s] = g.originalEdge(s);
        }
        return result;
    }

    private static boolean[] reversedFlags(IncomingCsr g) {
        boolean[] result = new boolean[g.slotCount()];
        for (int s = 0; s < result.length; s++) {
            result[s] = g.isReversed(s);
        }
        return result;
    }

    private static int[] targetsOfSlots(IncomingCsr g) {
        int[] result = new int[g.slotCount()];
        for (int s = 0; s < result.length; s++) {
            result[s] = g.targetOf(s);
        }
        return result;
    }

    private static int[] selfLoopSlots(IncomingCsr g) {
        int[] result = new int[g.nodeCount()];
        for (int i = 0; i < result.length; i++) {
            result[i] = g.selfLoopSlot(i);
        }
        return result;
    }

    private static int[] inDegrees(IncomingCsr g) {
        int[] result = new int[g.nodeCount()];
        for (int i = 0; i < result.length; i++) {
            result[i] = g.inDegree(i);
        }
        return result;
    }

    private static final int L = IncomingCsr.ADDED_SELF_LOOP;

    // ---------------------------------------------------------------- NATURAL, hand computed

    @Test
    void naturalWithSelfLoopsPutsTheAddedLoopLastInEachSegmentAndReplacesTheInputLoop() {
        IncomingCsr g = build(Orientation.NATURAL, true, false);

        assertEquals(NODES, g.nodeCount());
        assertEquals(9, g.slotCount());
        assertEquals(5, g.originalEdgeCount());
        assertArrayEquals(new int[]{0, 1, 4, 7, 8, 9}, g.offsets());
        assertArrayEquals(new int[]{0, /**/ 0, 2, 1, /**/ 1, 0, 2, /**/ 3, /**/ 4}, g.sources());
        assertArrayEquals(new int[]{L, 0, 1, L, 2, 4, L, L, L}, originalEdges(g));
        assertArrayEquals(new boolean[9], reversedFlags(g));
        assertArrayEquals(new int[]{0, 3, 6, 7, 8}, selfLoopSlots(g));
        // e3 (3 -> 3) is not a slot of its own: it maps to node 3's added loop.
        assertArrayEquals(new int[]{1, 2, 4, 7, 5}, slotOfEdges(g));
        assertArrayEquals(new int[]{-1, -1, -1, -1, -1}, reverseSlotOfEdges(g));
        assertArrayEquals(new int[]{0, 1, 1, 1, 2, 2, 2, 3, 4}, targetsOfSlots(g));
        assertArrayEquals(new int[]{1, 3, 3, 1, 1}, inDegrees(g));
        assertEquals(3, g.maxInDegree());

        assertArrayEquals(new int[]{0, 3, 5, 7, 8, 9}, g.outOffsets());
        assertArrayEquals(new int[]{0, 1, 5, /**/ 3, 4, /**/ 2, 6, /**/ 7, /**/ 8}, g.outSlots());
        assertArrayEquals(new int[]{0, 1, 2, /**/ 1, 2, /**/ 1, 2, /**/ 3, /**/ 4}, g.outTargets());
    }

    @Test
    void naturalWithoutSelfLoopsKeepsTheInputSelfLoopAsAnOrdinarySlot() {
        IncomingCsr g = build(Orientation.NATURAL, false, false);

        assertEquals(5, g.slotCount());
        assertArrayEquals(new int[]{0, 0, 2, 4, 5, 5}, g.offsets());
        assertArrayEquals(new int[]{0, 2, /**/ 1, 0, /**/ 3}, g.sources());
        assertArrayEquals(new int[]{0, 1, 2, 4, 3}, originalEdges(g));
        assertArrayEquals(new int[]{0, 1, 2, 4, 3}, slotOfEdges(g));
        // Only node 3 has a loop, and it is the input edge e3.
        assertArrayEquals(new int[]{-1, -1, -1, 4, -1}, selfLoopSlots(g));
        // Nodes 0 and 4 have empty segments; targetOf must skip them.
        assertArrayEquals(new int[]{1, 1, 2, 2, 3}, targetsOfSlots(g));
        assertArrayEquals(new int[]{0, 2, 2, 1, 0}, inDegrees(g));

        assertArrayEquals(new int[]{0, 2, 3, 4, 5, 5}, g.outOffsets());
        assertArrayEquals(new int[]{0, 3, /**/ 2, /**/ 1, /**/ 4}, g.outSlots());
        assertArrayEquals(new int[]{1, 2, /**/ 2, /**/ 1, /**/ 3}, g.outTargets());
    }

    // ---------------------------------------------------------------- REVERSE, hand computed

    @Test
    void reverseMakesTheStoredSourceAttendToTheStoredTarget() {
        IncomingCsr g = build(Orientation.REVERSE, true, false);

        assertArrayEquals(new int[]{0, 3, 5, 7, 8, 9}, g.offsets());
        assertArrayEquals(new int[]{1, 2, 0, /**/ 2, 1, /**/ 1, 2, /**/ 3, /**/ 4}, g.sources());
        assertArrayEquals(new int[]{0, 4, L, 2, L, 1, L, L, L}, originalEdges(g));
        assertArrayEquals(new boolean[]{true, true, false, true, false, true, false, false, false}, reversedFlags(g));
        assertArrayEquals(new int[]{0, 5, 3, 7, 1}, slotOfEdges(g));
        assertArrayEquals(new int[]{-1, -1, -1, -1, -1}, reverseSlotOfEdges(g));
        assertArrayEquals(new int[]{2, 4, 6, 7, 8}, selfLoopSlots(g));
    }

    @Test
    void reverseWithoutSelfLoopsKeepsTheInputLoopUnreversed() {
        IncomingCsr g = build(Orientation.REVERSE, false, false);

        // Target 0: e0 (src 1), e4 (src 2); target 1: e2 (src 2); target 2: e1 (src 1); target 3: e3.
        assertArrayEquals(new int[]{0, 2, 3, 4, 5, 5}, g.offsets());
        assertArrayEquals(new int[]{1, 2, 2, 1, 3}, g.sources());
        assertArrayEquals(new int[]{0, 4, 2, 1, 3}, originalEdges(g));
        assertArrayEquals(new boolean[]{true, true, true, true, false}, reversedFlags(g));
        assertArrayEquals(new int[]{0, 3, 2, 4, 1}, slotOfEdges(g));
        assertEquals(4, g.selfLoopSlot(3));
    }

    // ---------------------------------------------------------------- UNDIRECTED, hand computed

    @Test
    void undirectedGivesEachNonLoopEdgeOneSlotPerDirection() {
        IncomingCsr g = build(Orientation.UNDIRECTED, true, false);

        assertEquals(13, g.slotCount());
        assertArrayEquals(new int[]{0, 3, 7, 11, 12, 13}, g.offsets());
        assertArrayEquals(new int[]{1, 2, 0, /**/ 0, 2, 2, 1, /**/ 1, 1, 0, 2, /**/ 3, /**/ 4}, g.sources());
        assertArrayEquals(new int[]{0, 4, L, /**/ 0, 1, 2, L, /**/ 1, 2, 4, L, /**/ L, /**/ L}, originalEdges(g));
        assertArrayEquals(new boolean[]{true, true, false, false, false, true, false, true, false, false, false,
                false, false}, reversedFlags(g));
        assertArrayEquals(new int[]{3, 4, 8, 11, 9}, slotOfEdges(g));
        // The self loop e3 gets no reverse slot.
        assertArrayEquals(new int[]{0, 7, 5, -1, 1}, reverseSlotOfEdges(g));
        assertArrayEquals(new int[]{2, 6, 10, 11, 12}, selfLoopSlots(g));
        assertArrayEquals(new int[]{3, 4, 4, 1, 1}, inDegrees(g));
        assertEquals(4, g.maxInDegree());
    }

    @Test
    void undirectedWithDropDuplicatesMergesAnEdgeWithItsStoredReverse() {
        // e1 (2 -> 1) and e2 (1 -> 2) are each other's reverse, so each direction appears twice.
        IncomingCsr g = build(Orientation.UNDIRECTED, true, true);

        assertEquals(11, g.slotCount());
        assertArrayEquals(new int[]{0, 3, 6, 9, 10, 11}, g.offsets());
        assertArrayEquals(new int[]{1, 2, 0, /**/ 0, 2, 1, /**/ 1, 0, 2, /**/ 3, /**/ 4}, g.sources());
        assertArrayEquals(new int[]{0, 4, L, 0, 1, L, 1, 4, L, L, L}, originalEdges(g));
        assertArrayEquals(new boolean[]{true, true, false, false, false, false, true, false, false, false, false},
                reversedFlags(g));
        // e2 forward (1 -> 2) is the duplicate of e1 backwards (slot 6); e2 backwards duplicates e1 forward (slot 4).
        assertArrayEquals(new int[]{3, 4, 6, 9, 7}, slotOfEdges(g));
        assertArrayEquals(new int[]{0, 6, 4, -1, 1}, reverseSlotOfEdges(g));
        assertArrayEquals(new int[]{2, 5, 8, 9, 10}, selfLoopSlots(g));
        assertArrayEquals(new int[]{0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 4}, targetsOfSlots(g));
    }

    // ---------------------------------------------------------------- duplicates, hand computed

    /*
     * Duplicates graph, 3 nodes:
     *   e0: 0 -> 1, e1: 0 -> 1, e2: 2 -> 1, e3: 0 -> 1, e4: 1 -> 1, e5: 1 -> 1
     */
    private static final int[] DUP_SOURCES = {0, 0, 2, 0, 1, 1};
    private static final int[] DUP_TARGETS = {1, 1, 1, 1, 1, 1};

    private static IncomingCsr buildDuplicates(boolean selfLoops, boolean dropDuplicates) {
        return new GraphBuilder(3).selfLoops(selfLoops).dropDuplicates(dropDuplicates)
                .build(DUP_SOURCES.clone(), DUP_TARGETS.clone());
    }

    @Test
    void duplicatesAreKeptAsSeparateSlotsByDefault() {
        IncomingCsr g = buildDuplicates(true, false);

        assertArrayEquals(new int[]{0, 1, 6, 7}, g.offsets());
        assertArrayEquals(new int[]{0, 0, 0, 2, 0, 1, 2}, g.sources());
        // Each copy of 0 -> 1 has its own slot; both input loops map to the one added loop.
        assertArrayEquals(new int[]{1, 2, 3, 4, 5, 5}, slotOfEdges(g));
        assertArrayEquals(new int[]{L, 0, 1, 2, 3, L, L}, originalEdges(g));
    }

    @Test
    void dropDuplicatesMapsEveryCopyToTheFirstCopysSlot() {
        IncomingCsr g = buildDuplicates(true, true);

        assertArrayEquals(new int[]{0, 1, 4, 5}, g.offsets());
        assertArrayEquals(new int[]{0, 0, 2, 1, 2}, g.sources());
        assertArrayEquals(new int[]{1, 1, 2, 1, 3, 3}, slotOfEdges(g));
        assertArrayEquals(new int[]{L, 0, 2, L, L}, originalEdges(g));
        assertArrayEquals(new int[]{0, 3, 4}, selfLoopSlots(g));
        assertArrayEquals(new int[]{0, 2, 3, 5}, g.outOffsets());
        assertArrayEquals(new int[]{0, 1, /**/ 3, /**/ 2, 4}, g.outSlots());
        assertArrayEquals(new int[]{0, 1, /**/ 1, /**/ 1, 2}, g.outTargets());
    }

    @Test
    void withoutSelfLoopsTheFirstInputLoopIsTheNodesLoopAndCopiesOfItAreKeptOrMerged() {
        IncomingCsr kept = buildDuplicates(false, false);
        assertArrayEquals(new int[]{0, 0, 6, 6}, kept.offsets());
        assertArrayEquals(new int[]{0, 0, 2, 0, 1, 1}, kept.sources());
        assertArrayEquals(new int[]{0, 1, 2, 3, 4, 5}, slotOfEdges(kept));
        assertArrayEquals(new int[]{-1, 4, -1}, selfLoopSlots(kept));

        IncomingCsr merged = buildDuplicates(false, true);
        assertArrayEquals(new int[]{0, 0, 3, 3}, merged.offsets());
        assertArrayEquals(new int[]{0, 2, 1}, merged.sources());
        assertArrayEquals(new int[]{0, 0, 1, 0, 2, 2}, slotOfEdges(merged));
        assertArrayEquals(new int[]{0, 2, 4}, originalEdges(merged));
        assertArrayEquals(new int[]{-1, 2, -1}, selfLoopSlots(merged));
    }

    // ---------------------------------------------------------------- degenerate graphs

    @Test
    void zeroNodesAndZeroEdgesGiveAnEmptyGraph() {
        for (Orientation orientation : Orientation.values()) {
            IncomingCsr g = new GraphBuilder(0).orientation(orientation).build(new int[0], new int[0]);
            assertEquals(0, g.nodeCount());
            assertEquals(0, g.slotCount());
            assertEquals(0, g.originalEdgeCount());
            assertArrayEquals(new int[]{0}, g.offsets());
            assertArrayEquals(new int[]{0}, g.outOffsets());
            assertArrayEquals(new int[0], g.outSlots());
            assertEquals(0, g.maxInDegree());
        }
    }

    @Test
    void zeroEdgesWithSelfLoopsGivesOneLoopPerNode() {
        IncomingCsr g = new GraphBuilder(3).build(new int[0], new int[0]);
        assertArrayEquals(new int[]{0, 1, 2, 3}, g.offsets());
        assertArrayEquals(new int[]{0, 1, 2}, g.sources());
        assertArrayEquals(new int[]{0, 1, 2}, selfLoopSlots(g));
        assertArrayEquals(new int[]{L, L, L}, originalEdges(g));
        assertArrayEquals(new int[]{0, 1, 2}, g.outSlots());
        assertArrayEquals(new int[]{0, 1, 2}, g.outTargets());
    }

    @Test
    void zeroEdgesWithoutSelfLoopsGivesNoSlots() {
        IncomingCsr g = new GraphBuilder(3).selfLoops(false).build(new int[0], new int[0]);
        assertEquals(0, g.slotCount());
        assertArrayEquals(new int[]{0, 0, 0, 0}, g.offsets());
        assertArrayEquals(new int[]{0, 0, 0, 0}, g.outOffsets());
        assertArrayEquals(new int[]{-1, -1, -1}, selfLoopSlots(g));
        assertEquals(0, g.maxInDegree());
    }

    @Test
    void nodeWithoutAnyEdgeHasOnlyItsSelfLoopInEveryOrientation() {
        for (Orientation orientation : Orientation.values()) {
            IncomingCsr g = build(orientation, true, false);
            assertEquals(1, g.inDegree(4), orientation.name());
            int slot = g.offsets()[4];
            assertEquals(slot, g.selfLoopSlot(4), orientation.name());
            assertEquals(4, g.sources()[slot], orientation.name());
            assertEquals(1, g.outOffsets()[5] - g.outOffsets()[4], orientation.name());

            IncomingCsr bare = build(orientation, false, false);
            assertEquals(0, bare.inDegree(4), orientation.name());
            assertEquals(bare.outOffsets()[4], bare.outOffsets()[5], orientation.name());
            assertEquals(-1, bare.selfLoopSlot(4), orientation.name());
        }
    }

    @Test
    void buildDoesNotModifyTheInputArrays() {
        int[] sources = SOURCES.clone();
        int[] targets = TARGETS.clone();
        new GraphBuilder(NODES).orientation(Orientation.UNDIRECTED).dropDuplicates(true).build(sources, targets);
        assertArrayEquals(SOURCES, sources);
        assertArrayEquals(TARGETS, targets);
    }

    // ---------------------------------------------------------------- errors

    @Test
    void negativeNodeCountIsRejectedNamingTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new GraphBuilder(-3));
        assertTrue(e.getMessage().contains("-3"), e.getMessage());
    }

    @Test
    void edgeArraysOfDifferentLengthAreRejectedNamingBothLengths() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GraphBuilder(4).build(new int[]{0, 1}, new int[]{1, 2, 3}));
        assertTrue(e.getMessage().contains("2 sources"), e.getMessage());
        assertTrue(e.getMessage().contains("3 targets"), e.getMessage());
    }

    @Test
    void sourceOutOfRangeIsRejectedNamingTheEdgeAndTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GraphBuilder(3).build(new int[]{0, 1, 3}, new int[]{1, 2, 0}));
        assertTrue(e.getMessage().contains("Edge 2 has source 3"), e.getMessage());
        assertTrue(e.getMessage().contains("[0, 3)"), e.getMessage());
    }

    @Test
    void negativeTargetIsRejectedNamingTheEdgeAndTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GraphBuilder(3).build(new int[]{0, 1, 2}, new int[]{1, -1, 0}));
        assertTrue(e.getMessage().contains("Edge 1 has target -1"), e.getMessage());
    }

    @Test
    void anyEdgeInAGraphWithoutNodesIsOutOfRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GraphBuilder(0).build(new int[]{0}, new int[]{0}));
        assertTrue(e.getMessage().contains("Edge 0 has source 0"), e.getMessage());
    }

    @Test
    void outOfRangeEndpointIsRejectedInEveryOrientationAndMode() {
        for (Orientation orientation : Orientation.values()) {
            for (boolean selfLoops : new boolean[]{true, false}) {
                GraphBuilder builder = new GraphBuilder(2).orientation(orientation).selfLoops(selfLoops)
                        .dropDuplicates(true);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> builder.build(new int[]{0, 1}, new int[]{1, 2}));
                assertTrue(e.getMessage().contains("Edge 1 has target 2"), e.getMessage());
            }
        }
    }

    // ---------------------------------------------------------------- random graphs, all modes

    static Stream<Arguments> allModes() {
        List<Arguments> modes = new ArrayList<>();
        for (Orientation orientation : Orientation.values()) {
            for (boolean selfLoops : new boolean[]{true, false}) {
                for (boolean dropDuplicates : new boolean[]{false, true}) {
                    modes.add(Arguments.of(orientation, selfLoops, dropDuplicates));
                }
            }
        }
        return modes.stream();
    }

    private static final int RANDOM_NODES = 1000;
    private static final int RANDOM_EDGES = 5000;
    /** Node ids at or above this never appear in an edge. */
    private static final int USED_NODES = 990;

    /** Random edges plus deliberate duplicates, reversed copies and self loops (some repeated). */
    private static int[][] randomEdges() {
        SplittableRandom random = new SplittableRandom(20240607L);
        int[] sources = new int[RANDOM_EDGES];
        int[] targets = new int[RANDOM_EDGES];
        for (int e = 0; e < RANDOM_EDGES; e++) {
            int kind = random.nextInt(20);
            if (e > 0 && kind == 0) {          // exact copy of an earlier edge
                int earlier = random.nextInt(e);
                sources[e] = sources[earlier];
                targets[e] = targets[earlier];
            } else if (e > 0 && kind == 1) {   // reversed copy of an earlier edge
                int earlier = random.nextInt(e);
                sources[e] = targets[earlier];
                targets[e] = sources[earlier];
            } else if (kind == 2) {            // self loop among a few nodes, so some repeat
                sources[e] = targets[e] = random.nextInt(40);
            } else {
                sources[e] = random.nextInt(USED_NODES);
                targets[e] = random.nextInt(USED_NODES);
            }
        }
        return new int[][]{sources, targets};
    }

    @ParameterizedTest(name = "{0} selfLoops={1} dropDuplicates={2}")
    @MethodSource("allModes")
    void randomGraphIsConsistentInEveryMode(Orientation orientation, boolean selfLoops, boolean dropDuplicates) {
        int[][] edges = randomEdges();
        int[] sources = edges[0];
        int[] targets = edges[1];
        IncomingCsr g = new GraphBuilder(RANDOM_NODES).orientation(orientation).selfLoops(selfLoops)
                .dropDuplicates(dropDuplicates).build(sources.clone(), targets.clone());
        int n = RANDOM_NODES;
        int slots = g.slotCount();

        assertEquals(n, g.nodeCount());
        assertEquals(RANDOM_EDGES, g.originalEdgeCount());
        int[] offsets = g.offsets();
        assertEquals(n + 1, offsets.length);
        assertEquals(0, offsets[0]);
        assertEquals(slots, offsets[n]);
        assertEquals(slots, g.sources().length);
        for (int i = 0; i < n; i++) {
            assertTrue(offsets[i] <= offsets[i + 1], "offsets decrease at " + i);
        }

        // Per slot: target, origin round trip, the direction it was read in.
        for (int slot = 0; slot < slots; slot++) {
            int t = g.targetOf(slot);
            assertTrue(offsets[t] <= slot && slot < offsets[t + 1], "targetOf(" + slot + ")");
            int s = g.sources()[slot];
            int e = g.originalEdge(slot);
            if (e == IncomingCsr.ADDED_SELF_LOOP) {
                assertTrue(selfLoops, "added loop without selfLoops at slot " + slot);
                assertEquals(t, s);
                assertEquals(slot, g.selfLoopSlot(t));
                assertEquals(offsets[t + 1] - 1, slot, "added loop is not last in the segment of " + t);
                assertFalse(g.isReversed(slot));
                continue;
            }
            boolean inputLoop = sources[e] == targets[e];
            assertFalse(selfLoops && inputLoop, "input self loop " + e + " kept although loops are added");
            if (g.isReversed(slot)) {
                assertTrue(orientation != Orientation.NATURAL, "reversed slot in NATURAL");
                assertFalse(inputLoop, "self loop read backwards");
                assertEquals(targets[e], s, "source of reversed slot " + slot);
                assertEquals(sources[e], t, "target of reversed slot " + slot);
                int back = orientation == Orientation.UNDIRECTED ? g.reverseSlotOfEdge(e) : g.slotOfEdge(e);
                assertEquals(slot, back, "round trip of reversed slot " + slot);
            } else {
                assertTrue(orientation != Orientation.REVERSE || inputLoop, "forward non-loop slot in REVERSE");
                assertEquals(sources[e], s, "source of slot " + slot);
                assertEquals(targets[e], t, "target of slot " + slot);
                assertEquals(slot, g.slotOfEdge(e), "round trip of slot " + slot);
            }
        }

        // Per edge: the slot(s) it maps to carry it in the documented direction.
        for (int e = 0; e < RANDOM_EDGES; e++) {
            int s = sources[e];
            int t = targets[e];
            int slot = g.slotOfEdge(e);
            assertTrue(slot >= 0 && slot < slots, "slotOfEdge(" + e + ") = " + slot);
            if (s == t) {
                assertEquals(t, g.targetOf(slot));
                assertEquals(s, g.sources()[slot]);
                assertEquals(-1, g.reverseSlotOfEdge(e), "reverse slot of self loop " + e);
                if (selfLoops) {
                    assertEquals(g.selfLoopSlot(s), slot);
                    assertEquals(IncomingCsr.ADDED_SELF_LOOP, g.originalEdge(slot));
                }
                continue;
            }
            boolean reverse = orientation == Orientation.REVERSE;
            assertEquals(reverse ? s : t, g.targetOf(slot), "target of slotOfEdge(" + e + ")");
            assertEquals(reverse ? t : s, g.sources()[slot], "source of slotOfEdge(" + e + ")");
            int reverseSlot = g.reverseSlotOfEdge(e);
            if (orientation == Orientation.UNDIRECTED) {
                assertTrue(reverseSlot >= 0 && reverseSlot < slots, "reverseSlotOfEdge(" + e + ")");
                assertEquals(s, g.targetOf(reverseSlot));
                assertEquals(t, g.sources()[reverseSlot]);
            } else {
                assertEquals(-1, reverseSlot);
            }
            if (!dropDuplicates) {
                assertEquals(e, g.originalEdge(slot), "without dropDuplicates each copy keeps its own slot");
            }
        }

        // Self loops: one per node when added, otherwise exactly the nodes with an input loop.
        Set<Integer> nodesWithInputLoop = new HashSet<>();
        for (int e = 0; e < RANDOM_EDGES; e++) {
            if (sources[e] == targets[e]) {
                nodesWithInputLoop.add(sources[e]);
            }
        }
        assertFalse(nodesWithInputLoop.isEmpty());
        for (int i = 0; i < n; i++) {
            int loop = g.selfLoopSlot(i);
            if (selfLoops || nodesWithInputLoop.contains(i)) {
                assertTrue(loop >= offsets[i] && loop < offsets[i + 1], "self loop slot of " + i);
                assertEquals(i, g.sources()[loop]);
            } else {
                assertEquals(-1, loop, "self loop slot of " + i);
            }
        }
        for (int i = USED_NODES; i < n; i++) {
            assertEquals(selfLoops ? 1 : 0, g.inDegree(i), "in-degree of edgeless node " + i);
        }

        // Multiset of (source, target) pairs: as expected from the edge list, or its distinct set.
        Map<Long, Integer> expected = new HashMap<>();
        for (int e = 0; e < RANDOM_EDGES; e++) {
            int s = sources[e];
            int t = targets[e];
            if (s == t) {
                if (!selfLoops) {
                    expected.merge(pair(s, t), 1, Integer::sum);
                }
            } else {
                if (orientation != Orientation.REVERSE) {
                    expected.merge(pair(s, t), 1, Integer::sum);
                }
                if (orientation != Orientation.NATURAL) {
                    expected.merge(pair(t, s), 1, Integer::sum);
                }
            }
        }
        if (selfLoops) {
            for (int i = 0; i < n; i++) {
                expected.merge(pair(i, i), 1, Integer::sum);
            }
        }
        if (dropDuplicates) {
            expected.replaceAll((k, v) -> 1);
        }
        Map<Long, Integer> actual = new HashMap<>();
        for (int slot = 0; slot < slots; slot++) {
            actual.merge(pair(g.sources()[slot], g.targetOf(slot)), 1, Integer::sum);
        }
        assertEquals(expected, actual);
        if (!dropDuplicates) {
            assertTrue(expected.values().stream().anyMatch(c -> c > 1), "test graph has no duplicates");
        }

        assertOutgoingIndexMatchesIncoming(g);
    }

    private static long pair(int source, int target) {
        return ((long) source << 32) | target;
    }

    private static void assertOutgoingIndexMatchesIncoming(IncomingCsr g) {
        int n = g.nodeCount();
        int slots = g.slotCount();
        int[] outOffsets = g.outOffsets();
        int[] outSlots = g.outSlots();
        int[] outTargets = g.outTargets();
        assertEquals(n + 1, outOffsets.length);
        assertEquals(0, outOffsets[0]);
        assertEquals(slots, outOffsets[n]);
        assertEquals(slots, outSlots.length);
        assertEquals(slots, outTargets.length);
        boolean[] seen = new boolean[slots];
        for (int j = 0; j < n; j++) {
            assertTrue(outOffsets[j] <= outOffsets[j + 1], "outOffsets decrease at " + j);
            for (int k = outOffsets[j]; k < outOffsets[j + 1]; k++) {
                int slot = outSlots[k];
                assertTrue(slot >= 0 && slot < slots, "outSlots[" + k + "] = " + slot);
                if (seen[slot]) {
                    fail("slot " + slot + " appears twice in the outgoing index");
                }
                seen[slot] = true;
                assertEquals(j, g.sources()[slot], "slot " + slot + " listed under the wrong source");
                assertEquals(g.targetOf(slot), outTargets[k], "target of outgoing entry " + k);
                if (k > outOffsets[j]) {
                    assertTrue(outSlots[k - 1] < slot, "outgoing slots of " + j + " not ascending");
                }
            }
        }
        for (int slot = 0; slot < slots; slot++) {
            assertTrue(seen[slot], "slot " + slot + " missing from the outgoing index");
        }
    }

    @ParameterizedTest(name = "{0} selfLoops={1} dropDuplicates={2}")
    @MethodSource("allModes")
    void handMadeGraphHasAConsistentOutgoingIndexInEveryMode(Orientation orientation, boolean selfLoops,
                                                             boolean dropDuplicates) {
        assertOutgoingIndexMatchesIncoming(build(orientation, selfLoops, dropDuplicates));
        assertOutgoingIndexMatchesIncoming(new GraphBuilder(3).orientation(orientation).selfLoops(selfLoops)
                .dropDuplicates(dropDuplicates).build(DUP_SOURCES.clone(), DUP_TARGETS.clone()));
    }

    @ParameterizedTest(name = "{0} selfLoops={1} dropDuplicates={2}")
    @MethodSource("allModes")
    void dropDuplicatesLeavesNoRepeatedPairInAnySegment(Orientation orientation, boolean selfLoops,
                                                        boolean dropDuplicates) {
        int[][] edges = randomEdges();
        IncomingCsr g = new GraphBuilder(RANDOM_NODES).orientation(orientation).selfLoops(selfLoops)
                .dropDuplicates(dropDuplicates).build(edges[0], edges[1]);
        boolean anyRepeat = false;
        for (int t = 0; t < g.nodeCount(); t++) {
            Set<Integer> segmentSources = new HashSet<>();
            for (int slot = g.offsets()[t]; slot < g.offsets()[t + 1]; slot++) {
                anyRepeat |= !segmentSources.add(g.sources()[slot]);
            }
        }
        assertEquals(!dropDuplicates, anyRepeat);
    }

    @Test
    void theSameBuilderGivesTheSameGraphTwice() {
        int[][] edges = randomEdges();
        GraphBuilder builder = new GraphBuilder(RANDOM_NODES).orientation(Orientation.UNDIRECTED).dropDuplicates(true);
        IncomingCsr a = builder.build(edges[0], edges[1]);
        IncomingCsr b = builder.build(edges[0], edges[1]);
        assertArrayEquals(a.offsets(), b.offsets());
        assertArrayEquals(a.sources(), b.sources());
        assertArrayEquals(a.outSlots(), b.outSlots());
        assertArrayEquals(slotOfEdges(a), slotOfEdges(b));
        assertArrayEquals(reverseSlotOfEdges(a), reverseSlotOfEdges(b));
        assertArrayEquals(originalEdges(a), originalEdges(b));
    }
}
