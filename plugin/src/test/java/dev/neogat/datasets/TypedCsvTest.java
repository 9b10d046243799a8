package dev.neogat.datasets;

import dev.neogat.data.NodeLabels;
import dev.neogat.graph.IncomingCsr;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.testing.SharedData;
import dev.neogat.testing.TypedDatasets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TypedCsvTest {

    @TempDir
    Path dir;

    @Test
    void readsTheSchema() throws IOException {
        TypedCsv.Schema schema = TypedCsv.readSchema(TypedDatasets.write(dir));
        assertThat(schema.nodeTypes()).containsExactly(
                new TypedCsv.NodeType("Paper", 30, 6, true, "nodes-Paper.csv.gz"),
                new TypedCsv.NodeType("Author", 8, 4, false, "nodes-Author.csv.gz"));
        assertThat(schema.relations()).containsExactly(
                new TypedCsv.Relation("Paper", "CITES", "Paper", 56, "edges-Paper-CITES-Paper.csv.gz"),
                new TypedCsv.Relation("Author", "WRITES", "Paper", 24, "edges-Author-WRITES-Paper.csv.gz"));
    }

    @Test
    void untypedPutsTheTypesOneAfterAnotherWithTheirOwnFeatureColumns() throws IOException {
        Dataset dataset = TypedCsv.loadUntyped(TypedDatasets.write(dir));
        assertThat(dataset.nodeCount()).isEqualTo(38);
        SparseMatrix features = (SparseMatrix) dataset.features();
        assertThat(features.cols()).isEqualTo(10);
        // paper 4: columns 0 and 4 (4 mod 6, 6 mod 6) with values 1 and 5
        assertThat(row(features, 4)).containsExactly(0, 4);
        assertThat(features.values()[features.rowOffsets()[4] + 1]).isEqualTo(5f);
        assertThat(row(features, 17)).isEmpty();
        // author 3 is node 33, its column 3 is column 6 + 3
        assertThat(row(features, 33)).containsExactly(9);
        assertThat(dataset.labels().classOf(5)).isEqualTo(2);
        assertThat(dataset.labels().classOf(33)).isEqualTo(NodeLabels.NO_LABEL);
        assertThat(dataset.split().train()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThat(dataset.split().validation()).containsExactly(10, 11, 12, 13, 14);
        assertThat(dataset.split().test()).hasSize(15).doesNotContain(30, 37);
        assertThat(dataset.classNames()).containsExactly("alpha", "beta", "gamma");
        assertThat(dataset.edgeCount()).isEqualTo(80);
        // author 2 (node 32) writes papers 6, 7 and 8; they are the last relation's edges 6..8
        int writesStart = TypedDatasets.citations();
        assertThat(dataset.sources()[writesStart + 6]).isEqualTo(32);
        assertThat(dataset.targets()[writesStart + 6]).isEqualTo(6);
        IncomingCsr graph = dataset.undirectedGraph();
        assertThat(graph.nodeCount()).isEqualTo(38);
    }

    @Test
    void aCountThatDisagreesWithTheSchemaIsNamed() throws IOException {
        TypedDatasets.write(dir);
        Path schema = dir.resolve("schema.txt");
        Files.writeString(schema, Files.readString(schema).replace("Paper,CITES,Paper,56", "Paper,CITES,Paper,57"));
        assertThatThrownBy(() -> TypedCsv.loadUntyped(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("edges-Paper-CITES-Paper.csv.gz has 56 edges; schema.txt says 57");
    }

    @Test
    void acmUntyped() throws IOException {
        Path acm = SharedData.require("datasets/acm");
        Dataset dataset = TypedCsv.loadAny(acm);
        assertThat(dataset.nodeCount()).isEqualTo(3025);
        assertThat(dataset.features().cols()).isEqualTo(1870);
        assertThat(((SparseMatrix) dataset.features()).rowOffsets()[3025]).isEqualTo(253_300);
        assertThat(dataset.edgeCount()).isEqualTo(13_128 + 1_103_868);
        assertThat(dataset.labels().classCount()).isEqualTo(3);
        int[] perClass = new int[3];
        for (int i = 0; i < 3025; i++) {
            perClass[dataset.labels().classOf(i)]++;
        }
        assertThat(perClass).containsExactly(1061, 965, 999);
        assertThat(dataset.split().train()).hasSize(600);
        assertThat(dataset.split().validation()).hasSize(300);
        assertThat(dataset.split().test()).hasSize(2125);
        // the fixed split: per class the first 200 ids train, the next 100 val
        assertThat(Arrays.stream(dataset.split().train()).limit(200).toArray())
                .isEqualTo(java.util.stream.IntStream.range(0, 200).toArray());
        assertThat(dataset.split().validation()[0]).isEqualTo(200);
    }

    private static int[] row(SparseMatrix features, int node) {
        return Arrays.copyOfRange(features.columns(), features.rowOffsets()[node], features.rowOffsets()[node + 1]);
    }
}
