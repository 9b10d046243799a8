package dev.neogat.procedures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.graphdb.GraphDatabaseService;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static dev.neogat.procedures.TypedProcedureTest.typedConfig;

/**
 * Typed mini-batch training from Cypher, on {@link PaperGraph} (three labels, two relationship types): mode
 * 'miniBatch' trains a typed model on sampled batches and writes its predictions; with every neighbour (fanouts -1)
 * and one batch holding every training node it trains and predicts as full batch; 'auto' picks mini-batch when the
 * typed full-batch estimate exceeds memoryBudget and says why; gat.train.estimate reports both; a budget that cannot
 * hold typed mini-batch training, in the heap or from the store, is refused with the reason, before anything is
 * stored or written.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@SuppressWarnings("unchecked")
class TypedMiniBatchProcedureTest {

    @TempDir
    static Path workingDirectory;

    private EmbeddedNeo4j neo4j;
    private GraphDatabaseService db;

    @BeforeAll
    void create() {
        neo4j = new EmbeddedNeo4j(workingDirectory, null);
        db = neo4j.db();
        PaperGraph.create(db, 23);
    }

    @AfterAll
    void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    private Map<String, Object> train(String name, Map<String, Object> config) {
        return db.executeTransactionally("CALL gat.train($name, $config)", Map.of("name", name, "config", config),
                result -> result.next());
    }

    private Map<String, Object> estimate(Map<String, Object> config) {
        return db.executeTransactionally("CALL gat.train.estimate($config)", Map.of("config", config),
                result -> result.next());
    }

    private double writtenTestAccuracy(String property) {
        return db.executeTransactionally("MATCH (p:Paper {split: 'test'}) RETURN avg(CASE WHEN p[$property] = p.kind "
                + "THEN 1.0 ELSE 0.0 END) AS accuracy", Map.of("property", property),
                result -> ((Number) result.next().get("accuracy")).doubleValue());
    }

    private Map<Long, List<Double>> writtenProbabilities(String property) {
        Map<Long, List<Double>> out = new HashMap<>();
        db.executeTransactionally("MATCH (p:Paper) RETURN id(p) AS id, p[$property] AS probabilities",
                Map.of("property", property), result -> {
                    result.forEachRemaining(row -> out.put((Long) row.get("id"), java.util.Arrays.stream(
                            (double[]) row.get("probabilities")).boxed().toList()));
                    return null;
                });
        return out;
    }

    @Test
    void modeMiniBatchTrainsATypedModelAndWritesItsPredictions() {
        Map<String, Object> row = train("typedBatches", typedConfig("mode", "miniBatch", "batchSize", 32,
                "fanouts", List.of(5, 5), "epochs", 60, "writeProperty", "batchKind"));
        assertThat(row.get("mode")).isEqualTo("typed");
        assertThat((String) row.get("modeReason")).contains("target 'Paper'", "miniBatch: mode 'miniBatch' was asked for");
        Map<String, Object> configuration = (Map<String, Object>) row.get("configuration");
        assertThat(configuration).containsEntry("typed", true).containsEntry("batchSize", 32);
        double accuracy = writtenTestAccuracy("batchKind");
        System.out.printf("typed mini-batch: test accuracy from the written predictions %.4f (%s)%n", accuracy, row);
        assertThat(accuracy).isGreaterThanOrEqualTo(0.8);
        assertThat((Double) row.get("testAccuracy")).isCloseTo(accuracy, org.assertj.core.data.Offset.offset(1e-9));
        Map<String, Object> training = db.executeTransactionally("CALL gat.model.info('typedBatches') YIELD training "
                + "RETURN training", Map.of(), r -> (Map<String, Object>) r.next().get("training"));
        assertThat(((Number) training.get("batchSize")).longValue()).isEqualTo(32L);
        assertThat(((List<Number>) training.get("fanouts")).stream().map(Number::longValue).toList())
                .containsExactly(5L, 5L);
    }

    @Test
    void everyNeighbourInOneBatchTrainsAsFullBatch() {
        Map<String, Object> batched = train("typedOneBatch", typedConfig("mode", "miniBatch", "batchSize", 100_000,
                "fanouts", List.of(-1, -1), "epochs", 3, "probabilityProperty", "oneBatchProbabilities"));
        Map<String, Object> full = train("typedFull", typedConfig("mode", "fullBatch", "epochs", 3,
                "probabilityProperty", "fullProbabilities"));
        assertThat((String) full.get("modeReason")).contains("fullBatch: mode 'fullBatch' was asked for");
        assertThat((Double) batched.get("finalLoss")).isCloseTo((Double) full.get("finalLoss"),
                org.assertj.core.data.Offset.offset(1e-5));
        Map<Long, List<Double>> a = writtenProbabilities("oneBatchProbabilities");
        Map<Long, List<Double>> b = writtenProbabilities("fullProbabilities");
        assertThat(a.keySet()).isEqualTo(b.keySet()).hasSize(PaperGraph.PAPERS);
        a.forEach((id, probabilities) -> {
            for (int c = 0; c < probabilities.size(); c++) {
                assertThat(probabilities.get(c)).as("paper %d, class %d", id, c)
                        .isCloseTo(b.get(id).get(c), org.assertj.core.data.Offset.offset(1e-5));
            }
        });
    }

    @Test
    void autoPicksMiniBatchWhenTheTypedFullBatchEstimateExceedsTheBudget() {
        Map<String, Object> sized = estimate(typedConfig("batchSize", 8, "fanouts", List.of(2, 2)));
        long fullBatch = (Long) sized.get("fullBatchBytes");
        long miniBatch = (Long) sized.get("miniBatchBytes");
        assertThat(miniBatch).isPositive().isLessThan(fullBatch);
        assertThat((String) sized.get("modeReason")).contains("fullBatch: auto: full-batch training needs about");
        long budget = (fullBatch + miniBatch) / 2;
        Map<String, Object> tight = estimate(typedConfig("batchSize", 8, "fanouts", List.of(2, 2),
                "memoryBudget", budget));
        assertThat(tight.get("mode")).isEqualTo("typed");
        assertThat((String) tight.get("modeReason")).contains("miniBatch: auto: full-batch training needs about",
                "more than the memory budget");
        assertThat(tight.get("requiredBytes")).isEqualTo(miniBatch);
        Map<String, Object> row = train("typedAuto", typedConfig("batchSize", 8, "fanouts", List.of(2, 2),
                "memoryBudget", budget, "epochs", 2));
        assertThat((String) row.get("modeReason")).contains("miniBatch: auto: full-batch training needs about",
                "mini-batch training (batchSize 8, fanouts [2, 2])");
    }

    @Test
    void aBudgetThatCannotHoldTypedMiniBatchTrainingIsRefusedWithTheReason() {
        Map<String, Object> sized = estimate(typedConfig("batchSize", 8, "fanouts", List.of(2, 2)));
        // Below even what reading the batches from the store needs (TypedStoreMiniBatchTest trains that way).
        long tooSmall = Math.min((Long) sized.get("miniBatchBytes"), (Long) sized.get("storeBatchBytes")) / 2;
        assertThatThrownBy(() -> train("typedTooSmall", typedConfig("batchSize", 8, "fanouts", List.of(2, 2),
                "memoryBudget", tooSmall, "writeProperty", "tooSmallKind")))
                .hasMessageContaining("Typed mini-batch training that reads its batches from the store needs about")
                .hasMessageContaining("typed mini-batch training (batchSize 8, fanouts [2, 2]) needs about")
                .hasMessageContaining("with the projection in the heap");
        long models = db.executeTransactionally("CALL gat.model.list() YIELD name WHERE name = 'typedTooSmall' "
                + "RETURN count(*) AS n", Map.of(), result -> (Long) result.next().get("n"));
        assertThat(models).isZero();
        long written = db.executeTransactionally("MATCH (p:Paper) WHERE p.tooSmallKind IS NOT NULL RETURN count(p) AS n",
                Map.of(), result -> (Long) result.next().get("n"));
        assertThat(written).isZero();
    }
}
