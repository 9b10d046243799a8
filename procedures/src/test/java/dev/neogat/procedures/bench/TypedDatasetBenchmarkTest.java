package dev.neogat.procedures.bench;

import dev.neogat.procedures.Harness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.harness.Neo4j;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The two pieces of {@link TypedDatasetBenchmark} that decide its numbers: the typed script's keys and the scores. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TypedDatasetBenchmarkTest {

    @TempDir
    static Path workingDirectory;

    private Neo4j neo4j;
    private GraphDatabaseService db;

    @BeforeAll
    void start() {
        neo4j = Harness.start(workingDirectory, null);
        db = Harness.db(neo4j);
        // Test papers as (class, prediction): 3 of 7 right, one without a prediction; the val paper and the
        // test-split author are not counted.
        db.executeTransactionally("""
                UNWIND [['a', 'a'], ['a', 'a'], ['a', 'b'], ['b', 'b'], ['b', 'a'], ['c', 'b'], ['a', null]] AS pair
                CREATE (:Paper {split: 'test', class: pair[0], predictedClass: pair[1]})
                CREATE (:Paper {split: 'val', class: 'c', predictedClass: 'c'})
                CREATE (:Author {split: 'test', class: 'a', predictedClass: 'b'})""");
    }

    @AfterAll
    void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    @Test
    void accuracyAndMacroF1OverTheTestNodesOfTheLabelFromTheWrittenPredictions() {
        Map<String, Object> scores = TypedDatasetBenchmark.testScores(db, "Paper", "split", "class", "predictedClass",
                List.of("a", "b", "c", "d"));
        assertThat(scores.get("testNodes")).isEqualTo(7L);
        assertThat(scores.get("unpredicted")).isEqualTo(1L);
        assertThat((Double) scores.get("accuracy")).isCloseTo(3.0 / 7, within(1e-12));
        // F1 per class: a 2·2/(3 + 4), b 2·1/(3 + 2), c 0 (never predicted), d 0 (neither present nor predicted).
        assertThat((Double) scores.get("macroF1")).isCloseTo((4.0 / 7 + 2.0 / 5) / 4, within(1e-12));
    }

    @Test
    void theTypedScriptsKeysWithItsParameters() {
        Map<String, Object> config = TypedDatasetBenchmark.scriptConfig(db, Map.of("modelName", "m",
                "nodeLabels", List.of("Paper"), "relationshipTypes", List.of("PAP", "PSP"), "epochs", 7L));
        assertThat(config).containsEntry("typed", true).containsEntry("nodeLabels", List.of("Paper"))
                .containsEntry("relationshipTypes", List.of("PAP", "PSP")).containsEntry("epochs", 7L)
                .containsEntry("labelProperty", "class").containsEntry("splitProperty", "split")
                .containsEntry("writeProperty", "predictedClass");
    }
}
