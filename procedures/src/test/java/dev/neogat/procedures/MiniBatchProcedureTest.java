package dev.neogat.procedures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.harness.Neo4j;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * gat.train's 'mode', 'batchSize', 'fanouts' and 'memoryBudget' on a small graph: mini-batch training runs and
 * says so, is the same at concurrency 1 and 3, 'auto' picks mini-batch when full-batch exceeds the budget, and
 * gat.train.estimate reports both modes and the store-backed run.
 */
class MiniBatchProcedureTest {

    @TempDir
    static Path dir;

    private static Neo4j neo4j;
    private static GraphDatabaseService db;

    @BeforeAll
    static void start() {
        neo4j = Harness.start(dir, null);
        db = Harness.db(neo4j);
        SmallGraph.create(db, 150);
    }

    @AfterAll
    static void stop() {
        neo4j.close();
    }

    private static Map<String, Object> config(Object... extra) {
        Map<String, Object> config = new HashMap<>(Map.of("featureProperties", "features", "labelProperty", "colour",
                "splitProperty", "split", "epochs", 30, "patience", 0, "learningRate", 0.01, "heads", 2,
                "hiddenChannels", 4));
        for (int i = 0; i < extra.length; i += 2) {
            config.put((String) extra[i], extra[i + 1]);
        }
        return config;
    }

    private static Map<String, Object> train(String name, Map<String, Object> config) {
        return db.executeTransactionally("CALL gat.train($name, $config) YIELD mode, modeReason, finalLoss, "
                        + "validationAccuracy, configuration RETURN *", Map.of("name", name, "config", config),
                r -> r.next());
    }

    @Test
    @SuppressWarnings("unchecked")
    void miniBatchTrainsSaysSoAndIsTheSameAtAnyConcurrency() {
        Map<String, Object> one = train("mb1", config("mode", "miniBatch", "batchSize", 8, "fanouts", List.of(3, 2),
                "concurrency", 1));
        assertEquals("miniBatch", one.get("mode"));
        assertEquals("mode 'miniBatch' was asked for", one.get("modeReason"));
        Map<String, Object> configuration = (Map<String, Object>) one.get("configuration");
        assertEquals(8L, ((Number) configuration.get("batchSize")).longValue());
        assertEquals(List.of(3L, 2L), longs(configuration.get("fanouts")));
        assertEquals("miniBatch", configuration.get("mode"));
        Map<String, Object> three = train("mb3", config("mode", "miniBatch", "batchSize", 8, "fanouts", List.of(3, 2),
                "concurrency", 3));
        assertEquals(one.get("finalLoss"), three.get("finalLoss"));
        assertEquals(one.get("validationAccuracy"), three.get("validationAccuracy"));
        assertThat((Double) one.get("validationAccuracy")).as("3 classes").isGreaterThan(0.5);
        Map<String, Object> stored = db.executeTransactionally("CALL gat.model.info('mb1') YIELD training "
                + "RETURN training", Map.of(), r -> (Map<String, Object>) r.next().get("training"));
        assertEquals(8L, ((Number) stored.get("batchSize")).longValue());
        assertEquals(List.of(3L, 2L), longs(stored.get("fanouts")));
    }

    private static List<Long> longs(Object list) {
        return ((List<?>) list).stream().map(v -> ((Number) v).longValue()).toList();
    }

    @Test
    void autoChoosesMiniBatchWhenFullBatchExceedsTheBudget() {
        Map<String, Object> small = train("autoSmall", config("memoryBudget", "1KiB", "fanouts", 4));
        assertEquals("miniBatch", small.get("mode"));
        assertThat((String) small.get("modeReason")).startsWith("auto: full-batch training needs about ")
                .contains("more than the memory budget 1.0 KiB (memoryBudget)")
                .contains("mini-batch training (batchSize 512, fanouts [4, 4]) needs about");
        Map<String, Object> roomy = train("autoRoomy", config());
        assertEquals("fullBatch", roomy.get("mode"));
        assertThat((String) roomy.get("modeReason")).contains("within the memory budget").contains("(the free heap)");
        Map<String, Object> asked = train("full", config("mode", "fullBatch", "memoryBudget", 1024));
        assertEquals("fullBatch", asked.get("mode"));
    }

    @Test
    void estimateReportsBothModes() {
        Map<String, Object> roomy = estimate(config());
        // The in-heap mini-batch run just fits this budget; below it, gat.train reads its batches from the store.
        Map<String, Object> tight = estimate(config("mode", "miniBatch", "memoryBudget", roomy.get("miniBatchBytes")));
        Map<String, Object> tiny = estimate(config("memoryBudget", 2048));
        assertEquals("fullBatch", roomy.get("mode"));
        assertEquals(roomy.get("fullBatchBytes"), roomy.get("requiredBytes"));
        assertEquals("miniBatch", tight.get("mode"));
        assertEquals(tight.get("miniBatchBytes"), tight.get("requiredBytes"));
        assertEquals(roomy.get("fullBatchBytes"), tight.get("fullBatchBytes"));
        assertThat((Long) tight.get("miniBatchBytes")).isPositive();
        assertEquals("miniBatch", tiny.get("mode"));
        assertEquals(tiny.get("storeBatchBytes"), tiny.get("requiredBytes"));
        assertThat((Long) tiny.get("storeBatchBytes")).isPositive().isLessThan((Long) tiny.get("miniBatchBytes"));
    }

    private static Map<String, Object> estimate(Map<String, Object> config) {
        return db.executeTransactionally("CALL gat.train.estimate($config) YIELD mode, fullBatchBytes, miniBatchBytes, "
                + "storeBatchBytes, requiredBytes RETURN *", Map.of("config", config), r -> r.next());
    }
}
