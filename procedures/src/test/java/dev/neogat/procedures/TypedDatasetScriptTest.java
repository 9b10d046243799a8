package dev.neogat.procedures;

import dev.neogat.datasets.Dataset;
import dev.neogat.datasets.TypedCsv;
import dev.neogat.nn.SparseMatrix;
import dev.neogat.testing.TypedDatasets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.graphdb.GraphDatabaseService;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code cypher/load-typed-dataset.cypher} on a generated dataset of the typed layout (two node types, two
 * relations; ACM's million relationships would take minutes here): one label per node type, one relationship
 * type per relation, the properties the engine's reader sees, and nothing of the loader left behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TypedDatasetScriptTest {

    @TempDir
    static Path workingDirectory;

    @TempDir
    static Path importDirectory;

    private EmbeddedNeo4j neo4j;
    private GraphDatabaseService db;
    private List<List<Map<String, Object>>> scriptRows;

    @BeforeAll
    void load() throws IOException {
        TypedDatasets.write(importDirectory);
        neo4j = new EmbeddedNeo4j(workingDirectory, importDirectory);
        db = neo4j.db();
        scriptRows = CypherScripts.runEach(db, "load-typed-dataset.cypher", Map.of());
    }

    @AfterAll
    void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    private long count(String query) {
        return db.executeTransactionally(query, Map.of(), r -> ((Number) r.next().get("n")).longValue());
    }

    @Test
    void oneLabelPerNodeTypeAndOneRelationshipTypePerRelation() {
        assertThat(count("MATCH (n:Paper) RETURN count(n) AS n")).isEqualTo(TypedDatasets.PAPERS);
        assertThat(count("MATCH (n:Author) RETURN count(n) AS n")).isEqualTo(TypedDatasets.AUTHORS);
        assertThat(count("MATCH (n) RETURN count(n) AS n")).isEqualTo(TypedDatasets.PAPERS + TypedDatasets.AUTHORS);
        assertThat(count("MATCH (n) WHERE size(labels(n)) <> 1 RETURN count(n) AS n")).isZero();
        assertThat(count("MATCH (:Paper)-[r:CITES]->(:Paper) RETURN count(r) AS n"))
                .isEqualTo(TypedDatasets.citations());
        assertThat(count("MATCH (:Author)-[r:WRITES]->(:Paper) RETURN count(r) AS n"))
                .isEqualTo(TypedDatasets.authorships());
        assertThat(count("MATCH ()-[r]->() RETURN count(r) AS n"))
                .isEqualTo(TypedDatasets.citations() + TypedDatasets.authorships());
        assertThat(count("MATCH (a:Author {nodeId: 2})-[:WRITES]->(p:Paper) WHERE p.nodeId IN [6, 7, 8] "
                + "RETURN count(p) AS n")).isEqualTo(3);
        assertThat(scriptRows.get(1)).containsExactly(Map.of("nodeTypes", 2L));
        assertThat(scriptRows.get(2)).containsExactly(Map.of("relations", 2L));
    }

    @Test
    void classAndSplitOnTheTargetTypeOnly() {
        assertThat(count("MATCH (p:Paper {split: 'train'}) RETURN count(p) AS n")).isEqualTo(10);
        assertThat(count("MATCH (p:Paper {split: 'val'}) RETURN count(p) AS n")).isEqualTo(5);
        assertThat(count("MATCH (p:Paper {split: 'test'}) RETURN count(p) AS n")).isEqualTo(15);
        assertThat(count("MATCH (p:Paper {class: 'gamma'}) RETURN count(p) AS n")).isEqualTo(10);
        assertThat((Object) db.executeTransactionally("MATCH (p:Paper {nodeId: 4}) RETURN p.class AS c", Map.of(),
                r -> r.next().get("c"))).isEqualTo("beta");
        assertThat(count("MATCH (a:Author) WHERE a.class IS NOT NULL OR a.split IS NOT NULL RETURN count(a) AS n"))
                .isZero();
    }

    @Test
    void featuresAreWhatTheEngineReads() throws IOException {
        Dataset engine = TypedCsv.loadUntyped(importDirectory);
        SparseMatrix expected = (SparseMatrix) engine.features();
        for (int paper = 0; paper < TypedDatasets.PAPERS; paper++) {
            float[] row = dense(expected, paper);
            double[] stored = features("Paper", paper);
            assertThat(stored).hasSize(TypedDatasets.PAPER_FEATURES);
            for (int c = 0; c < stored.length; c++) {
                assertThat(stored[c]).as("paper %d column %d", paper, c).isEqualTo(row[c]);
            }
        }
        for (int author = 0; author < TypedDatasets.AUTHORS; author++) {
            float[] row = dense(expected, TypedDatasets.PAPERS + author);
            double[] stored = features("Author", author);
            assertThat(stored).hasSize(TypedDatasets.AUTHOR_FEATURES);
            for (int c = 0; c < stored.length; c++) {
                assertThat(stored[c]).isEqualTo(row[TypedDatasets.PAPER_FEATURES + c]);
            }
        }
    }

    @Test
    void theLoadersLabelKeyAndConstraintAreGone() {
        assertThat(count("MATCH (n:TypedLoad) RETURN count(n) AS n")).isZero();
        assertThat(count("MATCH (n) WHERE n.typedLoadKey IS NOT NULL RETURN count(n) AS n")).isZero();
        assertThat(count("SHOW CONSTRAINTS YIELD name WHERE name = 'typed_load_key' RETURN count(*) AS n")).isZero();
    }

    @Test
    void gatTrainsOnTheLoadedTargetType() {
        Map<String, Object> row = db.executeTransactionally("CALL gat.train('typed', {nodeLabels: ['Paper'], "
                + "relationshipTypes: ['CITES'], featureProperties: ['features'], labelProperty: 'class', "
                + "splitProperty: 'split', epochs: 5, concurrency: 1}) YIELD nodeCount, relationshipCount, classes "
                + "RETURN nodeCount, relationshipCount, classes", Map.of(), r -> r.next());
        assertThat(row.get("nodeCount")).isEqualTo((long) TypedDatasets.PAPERS);
        assertThat(row.get("relationshipCount")).isEqualTo((long) TypedDatasets.citations());
        assertThat(row.get("classes")).isEqualTo(List.of("alpha", "beta", "gamma"));
    }

    @Test
    void theTypedTrainingScriptTrainsATypedModelOverBothRelations() {
        Map<String, Object> row = CypherScripts.run(db, "train-typed-gat.cypher", Map.of("modelName", "typedScript",
                "nodeLabels", List.of("Paper", "Author"), "relationshipTypes", List.of("CITES", "WRITES"),
                "epochs", 20)).get(0);
        assertThat(row.get("mode")).isEqualTo("typed");
        assertThat((String) row.get("modeReason")).contains("[Paper, Author]", "target 'Paper'");
        assertThat(row.get("nodeCount")).isEqualTo((long) TypedDatasets.PAPERS + TypedDatasets.AUTHORS);
        assertThat(row.get("relationshipCount")).isEqualTo((long) TypedDatasets.citations()
                + TypedDatasets.authorships());
        assertThat(row.get("classes")).isEqualTo(List.of("alpha", "beta", "gamma"));
        assertThat(row.get("propertiesWritten")).isEqualTo(2L * TypedDatasets.PAPERS);
        assertThat(count("MATCH (p:Paper) WHERE p.predictedClass IN ['alpha', 'beta', 'gamma'] RETURN count(p) AS n"))
                .isEqualTo(TypedDatasets.PAPERS);
        assertThat(count("MATCH (a:Author) WHERE a.predictedClass IS NOT NULL RETURN count(a) AS n")).isZero();
    }

    private static float[] dense(SparseMatrix matrix, int row) {
        float[] values = new float[matrix.cols()];
        for (int p = matrix.rowOffsets()[row]; p < matrix.rowOffsets()[row + 1]; p++) {
            values[matrix.columns()[p]] = matrix.values()[p];
        }
        return values;
    }

    private double[] features(String label, int id) {
        return db.executeTransactionally("MATCH (n:" + label + " {nodeId: $id}) RETURN n.features AS f",
                Map.of("id", id), r -> {
                    Object value = r.next().get("f");
                    if (value instanceof double[] array) {
                        return array;
                    }
                    return ((List<?>) value).stream().mapToDouble(v -> ((Number) v).doubleValue()).toArray();
                });
    }
}
