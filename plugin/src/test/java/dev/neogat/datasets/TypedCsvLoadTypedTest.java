package dev.neogat.datasets;

import dev.neogat.graph.IncomingCsr;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.spec.Relation;
import dev.neogat.testing.SharedData;
import dev.neogat.testing.TypedDatasets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** TypedCsv.loadTyped: each node type with its own features, each relation its own, read undirected. */
class TypedCsvLoadTypedTest {

    @TempDir
    Path dir;

    @Test
    void eachTypeKeepsItsFeaturesAndEachRelationIsItsOwn() throws IOException {
        TypedDataset dataset = TypedCsv.loadTyped(TypedDatasets.write(dir));
        assertThat(dataset.graph().nodeTypes()).containsExactly("Paper", "Author");
        assertThat(dataset.targetType()).isEqualTo("Paper");
        Relation cites = new Relation("Paper", "CITES", "Paper");
        Relation writes = new Relation("Author", "WRITES", "Paper");
        assertThat(dataset.graph().relations()).containsExactly(cites, writes, writes.reversed());
        SparseMatrix papers = (SparseMatrix) dataset.features().get("Paper");
        SparseMatrix authors = (SparseMatrix) dataset.features().get("Author");
        assertThat(papers.rows()).isEqualTo(TypedDatasets.PAPERS);
        assertThat(papers.cols()).isEqualTo(TypedDatasets.PAPER_FEATURES);
        assertThat(authors.cols()).isEqualTo(TypedDatasets.AUTHOR_FEATURES);
        assertThat(row(papers, 4)).containsExactly(0, 4);
        assertThat(row(authors, 3)).containsExactly(3);
        // author 2 writes papers 6, 7 and 8: reversed, paper 6..8 point into author 2
        IncomingCsr reverse = dataset.graph().graph(writes.reversed());
        int[] into = Arrays.copyOfRange(reverse.sources(), reverse.offsets()[2], reverse.offsets()[3]);
        assertThat(into).containsExactlyInAnyOrder(6, 7, 8);
        // within one type: both directions of each edge and a self loop per paper
        assertThat(dataset.graph().graph(cites).slotCount())
                .isEqualTo(2 * TypedDatasets.citations() + TypedDatasets.PAPERS);
        assertThat(dataset.labels().nodeCount()).isEqualTo(TypedDatasets.PAPERS);
        assertThat(dataset.labels().classOf(5)).isEqualTo(2);
        assertThat(dataset.split().train()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(dataset.classNames()).containsExactly("alpha", "beta", "gamma");
    }

    @Test
    void acmIsOnePaperTypeWithPapAndPspEachWithSelfLoops() throws IOException {
        TypedDataset acm = TypedCsv.loadTyped(SharedData.require("datasets/acm"));
        assertThat(acm.graph().nodeTypes()).containsExactly("Paper");
        Relation pap = new Relation("Paper", "PAP", "Paper");
        Relation psp = new Relation("Paper", "PSP", "Paper");
        assertThat(acm.graph().relations()).isEqualTo(List.of(pap, psp));
        assertThat(acm.graph().graph(pap).slotCount()).isEqualTo(2 * 13_128 + 3025);
        assertThat(acm.graph().graph(psp).slotCount()).isEqualTo(2 * 1_103_868 + 3025);
        assertThat(acm.features().get("Paper").cols()).isEqualTo(1870);
        assertThat(acm.split().train()).hasSize(600);
        assertThat(acm.split().validation()).hasSize(300);
        assertThat(acm.split().test()).hasSize(2125);
    }

    private static int[] row(SparseMatrix features, int node) {
        return Arrays.copyOfRange(features.columns(), features.rowOffsets()[node], features.rowOffsets()[node + 1]);
    }
}
