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
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * gat.train with autoTune on a typed projection ({@link PaperGraph}: three labels with features of their own widths,
 * two relationship types): under typed: 'auto' it trains a typed model, whose gat.model.info lists every trial and
 * whose configuration and architecture are the chosen trial's; it writes the target label's predictions;
 * gat.train.estimate says the same; bad autoTune values are refused before anything is stored or written.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@SuppressWarnings("unchecked")
class TypedAutoTuneProcedureTest {

    @TempDir
    static Path workingDirectory;

    private EmbeddedNeo4j neo4j;
    private GraphDatabaseService db;

    @BeforeAll
    void create() {
        neo4j = new EmbeddedNeo4j(workingDirectory, null);
        db = neo4j.db();
        PaperGraph.create(db, 5);
    }

    @AfterAll
    void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    /** A few epochs and small widths keep each trial short; learningRate is set, so never searched. */
    private static Map<String, Object> config(Object autoTune) {
        Map<String, Object> config = TypedProcedureTest.typedConfig();
        config.remove("heads");
        config.put("typed", "auto");
        config.put("epochs", 30);
        config.put("patience", 10);
        config.put("learningRate", 0.01);
        config.put("autoTune", autoTune);
        return config;
    }

    private static final Map<String, Object> SEARCH = Map.of("maxTrials", 3,
            "space", Map.of("hiddenChannels", List.of(4, 8), "heads", List.of(1, 2)));

    private Map<String, Object> train(String name, Map<String, Object> config) {
        return db.executeTransactionally("CALL gat.train($name, $config)", Map.of("name", name, "config", config),
                result -> result.next());
    }

    private Map<String, Object> info(String name) {
        return db.executeTransactionally("CALL gat.model.info($name)", Map.of("name", name), result -> result.next());
    }

    @Test
    void typedAutoTrainsATypedModelWhoseInfoListsEveryTrialAndTheChosenConfiguration() {
        Map<String, Object> config = config(SEARCH);
        config.put("writeProperty", "tunedKind");
        Map<String, Object> row = train("typedTuned", config);
        assertThat(row.get("mode")).isEqualTo("typed");
        assertThat((String) row.get("modeReason")).contains("target 'Paper'", "auto: autoTune trains full-batch");

        Map<String, Object> info = info("typedTuned");
        List<Map<String, Object>> trials = (List<Map<String, Object>>) info.get("trials");
        assertThat(trials).hasSize(3);
        for (Map<String, Object> trial : trials) {
            assertThat(trial).containsKeys("trial", "configuration", "validationScore", "validationLoss", "epochs",
                    "millis").doesNotContainKeys("testScore", "testAccuracy");
            assertThat((Map<String, Object>) trial.get("configuration")).doesNotContainKey("learningRate")
                    .containsKeys("dropout", "heads", "hiddenChannels", "normalizeFeatures");
        }
        Map<String, Object> best = AutoTuneProcedureTest.best(trials);
        Map<String, Object> chosen = (Map<String, Object>) best.get("configuration");
        assertEquals(((Number) best.get("validationScore")).doubleValue(),
                ((Number) row.get("validationAccuracy")).doubleValue(), 0.0,
                "the stored model is the best trial's configuration trained again with the same seed");
        Map<String, Object> validation = (Map<String, Object>) ((Map<String, Object>) info.get("metrics"))
                .get("validation");
        assertEquals(((Number) best.get("validationLoss")).doubleValue(),
                ((Number) validation.get("loss")).doubleValue(), 0.0);

        Map<String, Object> configuration = (Map<String, Object>) info.get("configuration");
        assertThat(configuration).containsEntry("typed", true).containsEntry("targetLabels", List.of("Paper"));
        Map<String, Object> search = (Map<String, Object>) configuration.get("autoTune");
        assertEquals(3, ((Number) search.get("maxTrials")).intValue());
        assertThat((List<Object>) search.get("searched")).doesNotContain("learningRate").contains("hiddenChannels");
        assertEquals(((Number) chosen.get("dropout")).doubleValue(),
                ((Number) configuration.get("dropout")).doubleValue());
        assertThat(((List<Object>) configuration.get("heads")).stream().map(h -> ((Number) h).longValue()).toList())
                .containsExactly(((Number) chosen.get("heads")).longValue());
        assertEquals(0.01, ((Number) configuration.get("learningRate")).doubleValue());
        assertThat(row.get("configuration")).isEqualTo(configuration);

        Map<String, Object> model = (Map<String, Object>) info.get("model");
        assertThat(model).containsKey("nodeTypes");
        assertEquals(((Number) chosen.get("dropout")).doubleValue(), ((Number) model.get("dropout")).doubleValue());
        assertEquals(((Number) chosen.get("hiddenChannels")).longValue(),
                ((Number) model.get("hiddenChannels")).longValue());
        assertEquals(((Number) chosen.get("heads")).longValue(), ((Number) model.get("heads")).longValue());

        long written = db.executeTransactionally("MATCH (n) WHERE n.tunedKind IS NOT NULL RETURN count(n) AS n",
                Map.of(), result -> (Long) result.next().get("n"));
        assertThat(written).isEqualTo(PaperGraph.PAPERS);
        double writtenTestAccuracy = db.executeTransactionally("MATCH (p:Paper {split: 'test'}) RETURN avg(CASE "
                + "WHEN p.tunedKind = p.kind THEN 1.0 ELSE 0.0 END) AS accuracy", Map.of(),
                result -> ((Number) result.next().get("accuracy")).doubleValue());
        assertThat((Double) row.get("testAccuracy")).isCloseTo(writtenTestAccuracy,
                org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void theEstimateIsTypedAndFullBatchAllowingForTheWidestTrial() {
        Map<String, Object> narrow = config(Map.of("space", Map.of("hiddenChannels", List.of(4), "heads",
                List.of(1))));
        Map<String, Object> wide = config(Map.of("space", Map.of("hiddenChannels", List.of(4, 64), "heads",
                List.of(1, 8))));
        Map<String, Object> narrowRow = db.executeTransactionally("CALL gat.train.estimate($config)",
                Map.of("config", narrow), result -> result.next());
        Map<String, Object> wideRow = db.executeTransactionally("CALL gat.train.estimate($config)",
                Map.of("config", wide), result -> result.next());
        assertThat(wideRow.get("mode")).isEqualTo("typed");
        assertThat((String) wideRow.get("modeReason")).contains("auto: autoTune trains full-batch");
        assertThat((Long) wideRow.get("requiredBytes")).isGreaterThan((Long) narrowRow.get("requiredBytes"));
    }

    @Test
    void badAutoTuneValuesAreRefusedBeforeAnythingIsWritten() {
        assertFails(config(Map.of("maxTrials", 0)), "'autoTune.maxTrials' must be between 1 and 1000, got 0");
        Map<String, Object> headsSet = config(Map.of("space", Map.of("heads", List.of(2, 4))));
        headsSet.put("heads", 2);
        assertFails(headsSet, "autoTune.space.heads asks to search 'heads', but the configuration sets 'heads' to 2");
        Map<String, Object> miniBatch = config(true);
        miniBatch.put("typed", true);
        miniBatch.put("mode", "miniBatch");
        assertFails(miniBatch, "autoTune trains its trials full-batch");
        Map<String, Object> noValidation = config(true);
        noValidation.remove("splitProperty");
        noValidation.put("trainFraction", 0.8);
        noValidation.put("valFraction", 0.0);
        assertFails(noValidation, "'valFraction' is 0");
    }

    private void assertFails(Map<String, Object> config, String expected) {
        Map<String, Object> withWrite = new HashMap<>(config);
        withWrite.put("writeProperty", "failedRun");
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
        List<String> models = db.executeTransactionally("CALL gat.model.list() YIELD name RETURN name", Map.of(),
                r -> r.stream().map(m -> (String) m.get("name")).toList());
        assertThat(models).doesNotContain("failed");
        long written = db.executeTransactionally("MATCH (n) WHERE n.failedRun IS NOT NULL RETURN count(n) AS n",
                Map.of(), result -> (Long) result.next().get("n"));
        assertThat(written).isZero();
    }
}
