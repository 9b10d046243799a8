package dev.neogat.procedures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.harness.Neo4j;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * gat.train with autoTune on a small graph: the stored model lists its trials in gat.model.info, the output's
 * configuration is the chosen one, a key the user set is never searched, the same seed gives the same trials
 * at concurrency 1 and 2, progress shows the trial, termination leaves nothing, and bad values fail clearly.
 */
class AutoTuneProcedureTest {

    @TempDir
    static Path dir;

    private static Neo4j neo4j;
    private static GraphDatabaseService db;

    /** A small space keeps each trial to a fraction of a second. */
    private static final Map<String, Object> SPACE = Map.of("hiddenChannels", List.of(4, 8), "heads", List.of(2, 4));

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

    private static Map<String, Object> config(Object autoTune, Object... extra) {
        Map<String, Object> config = new HashMap<>(Map.of("featureProperties", "features", "labelProperty", "colour",
                "splitProperty", "split", "epochs", 40, "patience", 10, "learningRate", 0.01, "autoTune", autoTune));
        for (int i = 0; i < extra.length; i += 2) {
            config.put((String) extra[i], extra[i + 1]);
        }
        return config;
    }

    private static Map<String, Object> train(String name, Map<String, Object> config) {
        return db.executeTransactionally("CALL gat.train($name, $config) YIELD configuration, validationAccuracy "
                        + "RETURN configuration, validationAccuracy", Map.of("name", name, "config", config),
                r -> r.next());
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> trials(String name) {
        return db.executeTransactionally("CALL gat.model.info($name) YIELD trials RETURN trials", Map.of("name", name),
                r -> (List<Map<String, Object>>) r.next().get("trials"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void storesAModelWhoseInfoListsEveryTrialAndReturnsTheChosenConfiguration() {
        Map<String, Object> row = train("tuned", config(Map.of("maxTrials", 3, "space", SPACE)));
        List<Map<String, Object>> trials = trials("tuned");
        for (Map<String, Object> trial : trials) {
            assertThat(trial).containsKeys("trial", "configuration", "validationScore", "validationLoss", "epochs",
                    "millis");
            assertThat(trial).doesNotContainKeys("testScore", "testAccuracy");
            // learningRate was set by the user: never searched
            assertThat((Map<String, Object>) trial.get("configuration")).doesNotContainKey("learningRate")
                    .containsKeys("dropout", "heads");
        }
        Map<String, Object> best = best(trials);
        Map<String, Object> configuration = (Map<String, Object>) row.get("configuration");
        assertEquals(0.01, ((Number) configuration.get("learningRate")).doubleValue());
        Map<String, Object> chosen = (Map<String, Object>) best.get("configuration");
        assertEquals(((Number) chosen.get("dropout")).doubleValue(),
                ((Number) configuration.get("dropout")).doubleValue());
        assertThat(((List<?>) configuration.get("heads")).stream().map(h -> ((Number) h).longValue()).toList())
                .containsExactly(((Number) chosen.get("heads")).longValue());
        assertEquals(((Number) best.get("validationScore")).doubleValue(),
                ((Number) row.get("validationAccuracy")).doubleValue(), 0.0,
                "the stored model is the best trial's configuration trained again with the same seed");
        Map<String, Object> metrics = db.executeTransactionally("CALL gat.model.info('tuned') YIELD metrics "
                + "RETURN metrics.validation AS validation", Map.of(), r -> (Map<String, Object>) r.next()
                .get("validation"));
        assertEquals(((Number) best.get("validationLoss")).doubleValue(),
                ((Number) metrics.get("loss")).doubleValue(), 0.0);
        assertThat((Map<String, Object>) configuration.get("autoTune")).containsEntry("maxTrials", 3);

        Map<String, Object> model = db.executeTransactionally("CALL gat.model.info('tuned') YIELD model RETURN model",
                Map.of(), r -> (Map<String, Object>) r.next().get("model"));
        assertEquals(((Number) chosen.get("dropout")).doubleValue(), ((Number) model.get("dropout")).doubleValue());

        train("untuned", config(false));
        assertThat(trials("untuned")).isEmpty();
    }

    /**
     * The engine's choice between two trials (or two runs of a trial) as gat.model.info lists them: higher validation
     * score, then lower validation loss; on a tie the earlier one (not {@code trial}) stays.
     */
    static boolean better(Map<String, Object> trial, Map<String, Object> than) {
        double score = ((Number) trial.get("validationScore")).doubleValue();
        double otherScore = ((Number) than.get("validationScore")).doubleValue();
        return score > otherScore || score == otherScore && ((Number) trial.get("validationLoss")).doubleValue()
                < ((Number) than.get("validationLoss")).doubleValue();
    }

    /** The first of {@code rows} (trials or runs) that no later one is {@link #better} than. */
    static Map<String, Object> best(List<Map<String, Object>> rows) {
        Map<String, Object> best = rows.get(0);
        for (Map<String, Object> row : rows) {
            if (better(row, best)) {
                best = row;
            }
        }
        return best;
    }

    @Test
    @SuppressWarnings("unchecked")
    void severalSeedsPerTrialListEachRunAndTheModelIsTheChosenTrialsBestRun() {
        Map<String, Object> row = train("seeds", config(Map.of("maxTrials", 2, "seedsPerTrial", 2, "space", SPACE),
                "seed", 5));
        List<Map<String, Object>> trials = trials("seeds");
        for (Map<String, Object> trial : trials) {
            List<Map<String, Object>> runs = (List<Map<String, Object>>) trial.get("runs");
            assertThat(runs).extracting(run -> ((Number) run.get("seed")).longValue()).containsExactly(5L, 6L);
            assertEquals((((Number) runs.get(0).get("validationScore")).doubleValue()
                    + ((Number) runs.get(1).get("validationScore")).doubleValue()) / 2,
                    ((Number) trial.get("validationScore")).doubleValue(), 1e-12);
        }
        Map<String, Object> bestRun = best((List<Map<String, Object>>) best(trials).get("runs"));
        Map<String, Object> configuration = (Map<String, Object>) row.get("configuration");
        assertEquals(((Number) bestRun.get("seed")).longValue(), ((Number) configuration.get("seed")).longValue(),
                "the configuration names the seed the stored model was trained with");
        assertEquals(((Number) bestRun.get("validationScore")).doubleValue(),
                ((Number) row.get("validationAccuracy")).doubleValue(), 0.0);
        assertThat((Map<String, Object>) configuration.get("autoTune")).containsEntry("seedsPerTrial", 2);
    }

    @Test
    void theSameSeedGivesTheSameTrialsAtConcurrencyOneAndTwo() {
        train("one", config(Map.of("maxTrials", 2, "space", SPACE), "concurrency", 1, "seed", 5));
        train("two", config(Map.of("maxTrials", 2, "space", SPACE), "concurrency", 2, "seed", 5));
        assertEquals(withoutTimes(trials("one")), withoutTimes(trials("two")));
    }

    private static List<Map<String, Object>> withoutTimes(List<Map<String, Object>> trials) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Map<String, Object> trial : trials) {
            Map<String, Object> row = new LinkedHashMap<>(trial);
            row.remove("millis");
            rows.add(row);
        }
        return rows;
    }

    @Test
    void progressShowsTheTrialAndTerminationLeavesNoModel() throws Exception {
        CompletableFuture<Throwable> training = CompletableFuture.supplyAsync(() -> {
            try {
                train("endless", config(Map.of("maxTrials", 4, "space", SPACE), "epochs", 1_000_000, "patience", 0,
                        "writeProperty", "neverWritten"));
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Map<String, Object> progress = null;
        while (System.nanoTime() < deadline && progress == null) {
            progress = db.executeTransactionally("CALL gat.progress() YIELD modelName, phase, epoch, total "
                            + "WHERE modelName = 'endless' AND epoch >= 3 RETURN phase, total", Map.of(),
                    r -> r.hasNext() ? r.next() : null);
            Thread.sleep(20);
        }
        assertThat(progress).as("the training shows progress within 60 s").isNotNull();
        assertThat(progress.get("phase")).isEqualTo("autoTune: trial 1 of 4");
        assertThat(progress.get("total")).isEqualTo(4L);
        List<String> ids = db.executeTransactionally("""
                SHOW TRANSACTIONS YIELD transactionId, currentQuery
                WHERE currentQuery CONTAINS 'gat.train' AND NOT currentQuery CONTAINS 'SHOW TRANSACTIONS'
                RETURN transactionId""", Map.of(), r -> r.stream().map(row -> (String) row.get("transactionId"))
                .toList());
        assertThat(ids).hasSize(1);
        String id = ids.get(0);
        // The command runs only when its result is read.
        String message = db.executeTransactionally("TERMINATE TRANSACTION $id", Map.of("id", id),
                r -> (String) r.next().get("message"));
        assertThat(message).isEqualTo("Transaction terminated.");
        // TerminationTest measures how fast; on a loaded machine this only waits for the failure.
        assertThat(training.get(120, TimeUnit.SECONDS)).as("the training call fails").isNotNull();
        assertThat(modelNames()).doesNotContain("endless");
        assertThat(count("MATCH (n) WHERE n.neverWritten IS NOT NULL RETURN count(n) AS n")).isZero();
    }

    @Test
    void badAutoTuneValuesFailNamingTheKeyAndStoreNothing() {
        assertFails(config("yes"), "Configuration 'autoTune' must be true, false or a map");
        assertFails(config(Map.of("maxTrial", 3)), "Unknown key 'autoTune.maxTrial'; did you mean 'autoTune.maxTrials'?");
        assertFails(config(Map.of("maxTrials", 0)), "'autoTune.maxTrials' must be between 1 and 1000, got 0");
        assertFails(config(Map.of("timeBudget", "10 minutes")), "'autoTune.timeBudget' must be a duration");
        assertFails(config(Map.of("seedsPerTrial", 0)), "'autoTune.seedsPerTrial' must be between 1 and 10, got 0");
        assertFails(config(Map.of("seedsPerTrial", 2.5)), "'autoTune.seedsPerTrial' must be an integer, got 2.5");
        assertFails(config(Map.of("space", Map.of("learningRate", List.of(0.001, 0.01)))),
                "autoTune.space.learningRate asks to search 'learningRate', but the configuration sets 'learningRate'"
                        + " to 0.01");
        assertFails(config(Map.of("space", Map.of("dropuot", List.of(0.1, 0.5)))),
                "autoTune.space cannot search 'dropuot'; did you mean 'dropout'?");
        assertFails(config(Map.of("space", Map.of("dropout", List.of(0.5, 1.2)))),
                "autoTune.space.dropout must be [min, max] with 0 <= min <= max < 1, got [0.5, 1.2]");
        assertFails(config(true, "splitProperty", null, "trainFraction", 0.8, "valFraction", 0.0),
                "'valFraction' is 0");
    }

    private static void assertFails(Map<String, Object> config, String expected) {
        Map<String, Object> withWrite = new HashMap<>(config);
        withWrite.put("writeProperty", "failedRun");
        withWrite.values().removeIf(java.util.Objects::isNull);
        Throwable thrown = null;
        try {
            train("failed", withWrite);
        } catch (RuntimeException e) {
            thrown = e;
        }
        assertThat(thrown).as("gat.train fails for " + config).isNotNull();
        StringBuilder messages = new StringBuilder();
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        assertThat(messages.toString()).contains(expected);
        assertThat(modelNames()).doesNotContain("failed");
        assertThat(count("MATCH (n) WHERE n.failedRun IS NOT NULL RETURN count(n) AS n")).isZero();
    }

    private static List<String> modelNames() {
        return db.executeTransactionally("CALL gat.model.list() YIELD name RETURN name", Map.of(),
                r -> r.stream().map(row -> (String) row.get("name")).toList());
    }

    private static long count(String query) {
        return db.executeTransactionally(query, Map.of(), r -> ((Number) r.next().get("n")).longValue());
    }
}
