package dev.neogat.graph;

import dev.neogat.spec.Relation;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Typed graphs: bipartite relations between types, self loops within a type, reverse relations, bad input. */
class TypedGraphTest {

    private static final Relation WRITES = new Relation("author", "writes", "paper");
    private static final Relation CITES = new Relation("paper", "cites", "paper");

    /** 3 authors write 5 papers (author 0 also writes paper 4); papers cite papers. */
    private static TypedGraph.Builder papers() {
        return TypedGraph.builder().nodeType("paper", 5).nodeType("author", 3)
                .relation(WRITES, new int[]{0, 0, 1, 1, 2, 2, 0}, new int[]{0, 1, 1, 2, 2, 3, 4})
                .relation(CITES, new int[]{1, 2, 3, 4, 0}, new int[]{0, 0, 1, 2, 3});
    }

    @Test
    void aRelationBetweenTwoTypesIsBipartiteWithoutSelfLoops() {
        TypedGraph graph = papers().build();
        IncomingCsr writes = graph.graph(WRITES);
        assertTrue(writes.isBipartite());
        assertEquals(5, writes.nodeCount(), "targets are papers");
        assertEquals(3, writes.sourceCount(), "sources are authors");
        assertEquals(7, writes.slotCount(), "no self loops: author 0 and paper 0 are different nodes");
        for (int paper = 0; paper < 5; paper++) {
            assertEquals(-1, writes.selfLoopSlot(paper));
        }
        assertArrayEquals(new int[]{0, 3, 5, 7}, writes.outOffsets(), "author 0 writes 3 papers, 1 and 2 two each");
        assertEquals(0, writes.sources()[writes.slotOfEdge(0)]);
        assertEquals(0, writes.targetOf(writes.slotOfEdge(0)));
    }

    @Test
    void aRelationWithinOneTypeHasSelfLoops() {
        IncomingCsr cites = papers().build().graph(CITES);
        assertFalse(cites.isBipartite());
        assertEquals(5 + 5, cites.slotCount(), "5 citations and a self loop per paper");
        assertEquals(cites.nodeCount(), cites.sourceCount());
        for (int paper = 0; paper < 5; paper++) {
            assertEquals(paper, cites.sources()[cites.selfLoopSlot(paper)]);
        }
    }

    @Test
    void undirectedAddsReverseRelationsAsPyGToUndirected() {
        TypedGraph graph = papers().undirected().build();
        Relation reverse = new Relation("paper", "rev_writes", "author");
        assertEquals(List.of(WRITES, reverse, CITES), graph.relations());
        assertEquals(WRITES, graph.reversedFrom(reverse));
        assertNull(graph.reversedFrom(WRITES));
        IncomingCsr rev = graph.graph(reverse);
        assertEquals(3, rev.nodeCount(), "authors receive");
        assertEquals(5, rev.sourceCount());
        int slot = rev.slotOfEdge(6);
        assertEquals(4, rev.sources()[slot], "edge 6 (author 0 writes paper 4) read backwards: paper 4 → author 0");
        assertEquals(0, rev.targetOf(slot));
        assertEquals(5 * 2 + 5, graph.graph(CITES).slotCount(), "citations in both directions, plus self loops");
    }

    @Test
    void badInputIsNamed() {
        assertThatThrownBy(() -> TypedGraph.builder().nodeType("paper", 2)
                .relation(WRITES, new int[]{0}, new int[]{1}).build())
                .hasMessageContaining("(author)-[writes]->(paper)").hasMessageContaining("'author'")
                .hasMessageContaining("[paper]");
        assertThatThrownBy(() -> TypedGraph.builder().nodeType("paper", 2).nodeType("author", 1)
                .relation(WRITES, new int[]{1}, new int[]{0}).build())
                .hasMessageContaining("(author)-[writes]->(paper)").hasMessageContaining("source 1")
                .hasMessageContaining("[0, 1)");
        assertThatThrownBy(() -> papers().relation(WRITES, new int[0], new int[0]))
                .hasMessageContaining("declared twice");
        assertThatThrownBy(() -> papers().relation("paper", "rev_writes", "author", new int[0], new int[0])
                .undirected().build()).hasMessageContaining("rev_writes");
        assertThatThrownBy(() -> papers().build().graph(new Relation("paper", "cited_by", "paper")))
                .hasMessageContaining("cited_by").hasMessageContaining("cites");
        assertThatThrownBy(() -> GraphBuilder.bipartite(2, 3).selfLoops(true))
                .hasMessageContaining("no self loops");
        assertThat(GraphBuilder.bipartite(2, 3).build(new int[]{1}, new int[]{2}).slotCount()).isEqualTo(1);
    }
}
