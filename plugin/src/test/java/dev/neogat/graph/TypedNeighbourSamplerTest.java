package dev.neogat.graph;

import dev.neogat.spec.Relation;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TypedNeighbourSampler}: each node reached before the last hop draws, per relation into its type, exactly
 * min(fanout of its hop, its incoming slots of that relation) of them (a relation within one type keeps the self
 * loop besides), every slot is a slot of the whole graph with the same source and target, last-hop nodes draw
 * nothing, and the draws are a function of (seed, epoch, batch).
 */
class TypedNeighbourSamplerTest {

    private static final Relation CITES = new Relation("paper", "cites", "paper");
    private static final Relation WRITES = new Relation("author", "writes", "paper");
    private static final Relation REV_WRITES = WRITES.reversed();
    private static final Relation WORKS_AT = new Relation("author", "worksAt", "lab");

    private static TypedGraph graph() {
        SplittableRandom random = new SplittableRandom(3);
        int papers = 60;
        int authors = 25;
        int labs = 4;
        int[][] cites = edges(random, papers, papers, 400);
        int[][] writes = edges(random, authors, papers, 300);
        int[][] worksAt = edges(random, authors, labs, 25);
        return TypedGraph.builder().nodeType("paper", papers).nodeType("author", authors).nodeType("lab", labs)
                .relation(CITES, cites[0], cites[1]).relation(WRITES, writes[0], writes[1])
                .relation(WORKS_AT, worksAt[0], worksAt[1]).undirected().build();
    }

    private static int[][] edges(SplittableRandom random, int sources, int targets, int count) {
        int[][] e = new int[2][count];
        for (int k = 0; k < count; k++) {
            e[0][k] = random.nextInt(sources);
            e[1][k] = random.nextInt(targets);
        }
        return e;
    }

    @Test
    void eachNodeDrawsItsFanoutPerRelationFromTheWholeGraphsSlots() {
        TypedGraph whole = graph();
        int[] fanouts = {3, 2};
        TypedSampledSubgraph batch = new TypedNeighbourSampler(whole, fanouts, 9, Set.of())
                .sample("paper", new int[]{5, 17, 40, 2}, 1, 0);
        assertArrayEquals(new int[]{5, 17, 40, 2},
                Arrays.stream(batch.batchLocals()).map(i -> batch.wholeNodes().get("paper")[i]).toArray());
        int checkedNodes = 0;
        for (Relation r : whole.relations()) {
            IncomingCsr sampled = batch.graph().graph(r);
            IncomingCsr csr = whole.graph(r);
            int[] wholeTargets = batch.wholeNodes().get(r.targetType());
            int[] wholeSources = batch.wholeNodes().get(r.sourceType());
            int[] distances = batch.distances().get(r.targetType());
            int[] wholeSlots = batch.wholeSlots().get(r);
            for (int t = 0; t < sampled.nodeCount(); t++) {
                int w = wholeTargets[t];
                int drawn = 0;
                boolean selfLoop = false;
                int previous = -1;
                for (int s = sampled.offsets()[t]; s < sampled.offsets()[t + 1]; s++) {
                    int slot = wholeSlots[s];
                    assertTrue(slot > previous, "slots in the whole graph's order");
                    previous = slot;
                    assertTrue(slot >= csr.offsets()[w] && slot < csr.offsets()[w + 1], "a slot of the target " + w);
                    assertEquals(csr.sources()[slot], wholeSources[sampled.sources()[s]], "the slot's source");
                    if (slot == csr.selfLoopSlot(w) && !r.isBipartite()) {
                        selfLoop = true;
                    } else {
                        drawn++;
                    }
                }
                int distance = distances[t];
                if (distance >= fanouts.length) {
                    assertEquals(0, sampled.offsets()[t + 1] - sampled.offsets()[t], "a last-hop node draws nothing");
                    continue;
                }
                int candidates = csr.offsets()[w + 1] - csr.offsets()[w] - (r.isBipartite() ? 0 : 1);
                assertEquals(Math.min(fanouts[distance], candidates), drawn, r + " into " + w + " at hop " + distance);
                assertEquals(!r.isBipartite(), selfLoop, "self loop of " + w + " in " + r);
                checkedNodes++;
            }
        }
        assertTrue(checkedNodes > 4, "nodes of several relations were checked: " + checkedNodes);
        assertTrue(Arrays.stream(batch.distances().get("lab")).allMatch(d -> d == 2),
                "labs reach papers through authors only, at the last hop");
    }

    @Test
    void drawsDependOnSeedEpochAndBatchOnly() {
        TypedGraph whole = graph();
        TypedNeighbourSampler sampler = new TypedNeighbourSampler(whole, new int[]{2, 2}, 4, Set.of());
        int[] nodes = {1, 2, 3};
        TypedSampledSubgraph a = sampler.sample("paper", nodes, 2, 1);
        TypedSampledSubgraph b = new TypedNeighbourSampler(whole, new int[]{2, 2}, 4, Set.of()).sample("paper", nodes, 2, 1);
        for (Relation r : whole.relations()) {
            assertArrayEquals(a.wholeSlots().get(r), b.wholeSlots().get(r), r.toString());
        }
        TypedSampledSubgraph other = sampler.sample("paper", nodes, 3, 1);
        assertFalse(Arrays.equals(a.wholeSlots().get(CITES), other.wholeSlots().get(CITES)),
                "another epoch draws other slots");
    }

    @Test
    void allNeighboursAndATypeKeptWhole() {
        TypedGraph whole = graph();
        TypedSampledSubgraph batch = new TypedNeighbourSampler(whole, new int[]{-1, -1}, 1, Set.of("author"))
                .sample("paper", new int[]{7}, 0, 0);
        int[] authors = batch.wholeNodes().get("author");
        assertEquals(whole.nodeCount("author"), authors.length, "every author is kept");
        for (int i = 0; i < authors.length; i++) {
            assertEquals(i, authors[i], "an author kept whole keeps its id");
        }
        IncomingCsr csr = whole.graph(WRITES);
        int sampledWrites = batch.graph().graph(WRITES).offsets()[1];
        assertEquals(csr.offsets()[8] - csr.offsets()[7], sampledWrites, "every author of paper 7");
        assertEquals(List.of(), Arrays.stream(batch.computedRows(1, "author")).boxed().toList(),
                "no author's last-layer output is read");
        assertThrows(IllegalArgumentException.class, () -> new TypedNeighbourSampler(whole, new int[]{0}, 1, Set.of()));
        assertThrows(IllegalArgumentException.class, () -> new TypedNeighbourSampler(whole, new int[]{2}, 1, Set.of())
                .sample("paper", new int[]{3, 3}, 0, 0));
    }
}
