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
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code relationshipFeatures} in a real Neo4j, on a generated graph where only a relationship property tells the
 * class: each Target node has three incoming LINKs from Source nodes (whose features are their colour, one-hot) and
 * takes the colour of the one with the largest {@code weight}; Targets' own features say nothing. With the weight
 * in attention the model must reach 95 % test accuracy; the same model without it is printed beside it. A stored
 * edge-feature model then predicts, attends and explains through every procedure exactly as the training run did.
 */
class RelationshipFeatureProcedureTest {

    private static final int SOURCES = 150;
    private static final int TARGETS = 400;
    private static final int COLOURS = 3;
    private static final double TOLERANCE = 1e-5;

    @TempDir
    static Path dir;

    private static Neo4j neo4j;
    private static GraphDatabaseService db;
    private static Map<String, Object> withFeatures;

    @BeforeAll
    static void start() {
        neo4j = Harness.start(dir.resolve("server"), null);
        db = Harness.db(neo4j);
        createGraph(db, 7);
        withFeatures = train("byWeight", config(true));
    }

    @AfterAll
    static void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    /** Sources are coloured by their features; a Target has the colour of its heaviest incoming LINK's source. */
    static void createGraph(GraphDatabaseService db, long seed) {
        Random random = new Random(seed);
        List<Map<String, Object>> sources = new ArrayList<>();
        for (int s = 0; s < SOURCES; s++) {
            double[] features = new double[COLOURS + 1];
            features[s % COLOURS] = 1;
            sources.add(Map.of("id", s, "features", features));
        }
        List<Map<String, Object>> targets = new ArrayList<>();
        List<Map<String, Object>> links = new ArrayList<>();
        for (int t = 0; t < TARGETS; t++) {
            int heaviest = -1;
            double best = -1;
            for (int k = 0; k < 3; k++) {
                int source = random.nextInt(SOURCES);
                double weight = random.nextDouble();
                links.add(Map.of("source", source, "target", t, "weight", weight));
                if (weight > best) {
                    best = weight;
                    heaviest = source;
                }
            }
            targets.add(Map.of("id", t, "features", new double[]{0, 0, 0, 1}, "colour", heaviest % COLOURS));
        }
        db.executeTransactionally("UNWIND $rows AS row CREATE (:Node:Source {id: row.id, features: row.features})",
                Map.of("rows", sources));
        db.executeTransactionally("UNWIND $rows AS row CREATE (:Node:Target {id: row.id, features: row.features, "
                + "colour: row.colour})", Map.of("rows", targets));
        db.executeTransactionally("UNWIND $rows AS row MATCH (s:Source {id: row.source}), (t:Target {id: row.target}) "
                + "CREATE (s)-[:LINK {weight: row.weight}]->(t)", Map.of("rows", links));
    }

    static Map<String, Object> config(boolean relationshipFeatures) {
        Map<String, Object> config = new HashMap<>();
        config.put("nodeLabels", "Node");
        config.put("relationshipTypes", "LINK");
        config.put("orientation", "NATURAL");
        config.put("featureProperties", "features");
        config.put("labelProperty", "colour");
        config.put("trainFraction", 0.6);
        config.put("valFraction", 0.2);
        config.put("layers", 2);
        config.put("heads", 4);
        config.put("hiddenChannels", 8);
        config.put("dropout", 0.0);
        config.put("normalizeFeatures", false);
        config.put("learningRate", 0.02);
        config.put("epochs", 300);
        config.put("patience", 100);
        config.put("concurrency", 2);
        if (relationshipFeatures) {
            config.put("relationshipFeatures", "weight");
            config.put("standardizeRelationshipFeatures", true);
            config.put("writeProperty", "trainedColour");
            config.put("probabilityProperty", "trainedProbabilities");
            config.put("attentionProperty", "trainedAttention");
        }
        return config;
    }

    static Map<String, Object> train(String name, Map<String, Object> config) {
        return db.executeTransactionally("CALL gat.train($name, $config) YIELD testAccuracy, configuration "
                        + "RETURN testAccuracy, configuration", Map.of("name", name, "config", config),
                result -> result.next());
    }

    @Test
    void theWeightInAttentionTellsTheClass() {
        Map<String, Object> without = train("withoutWeight", config(false));
        double with = (Double) withFeatures.get("testAccuracy");
        System.out.printf("relationshipFeatures: test accuracy %.4f with the weight, %.4f without it%n", with,
                (Double) without.get("testAccuracy"));
        assertThat(with).isGreaterThanOrEqualTo(0.95);
        @SuppressWarnings("unchecked")
        Map<String, Object> used = (Map<String, Object>) withFeatures.get("configuration");
        assertThat(used).containsEntry("relationshipFeatures", List.of("weight"))
                .containsEntry("missingRelationshipFeatures", "error")
                .containsEntry("standardizeRelationshipFeatures", true);
    }

    @Test
    @SuppressWarnings("unchecked")
    void modelInfoShowsTheKeysAndTheStandardisation() {
        Map<String, Object> projection = db.executeTransactionally("CALL gat.model.info('byWeight') YIELD projection "
                + "RETURN projection", Map.of(), result -> (Map<String, Object>) result.next().get("projection"));
        Map<String, Object> features = (Map<String, Object>) projection.get("relationshipFeatures");
        assertThat(features).containsEntry("properties", List.of("weight")).containsEntry("missing", "error");
        double mean = ((Number) ((List<?>) features.get("mean")).get(0)).doubleValue();
        double deviation = ((Number) ((List<?>) features.get("standardDeviation")).get(0)).doubleValue();
        Map<String, Object> stored = db.executeTransactionally("MATCH (:Node)-[r:LINK]->(:Node) "
                + "RETURN avg(r.weight) AS mean, stDevP(r.weight) AS sd", Map.of(), result -> result.next());
        assertThat(mean).isCloseTo((Double) stored.get("mean"), within(1e-6));
        assertThat(deviation).isCloseTo((Double) stored.get("sd"), within(1e-6));
    }

    @Test
    @SuppressWarnings("unchecked")
    void theEstimateCountsTheRelationshipFeatures() {
        Map<String, Object> with = new HashMap<>(config(true));
        Map<String, Object> without = config(false);
        long withBytes = (Long) ((Map<String, Object>) estimate(with).get("breakdown")).get("features");
        long withoutBytes = (Long) ((Map<String, Object>) estimate(without).get("breakdown")).get("features");
        long relationships = 3L * TARGETS;
        long slots = relationships + SOURCES + TARGETS;
        // One float per relationship as read, and one per attention slot (self loops included).
        assertThat(withBytes - withoutBytes).isEqualTo(4 * (relationships + slots));
    }

    private static Map<String, Object> estimate(Map<String, Object> config) {
        return db.executeTransactionally("CALL gat.train.estimate($config) YIELD breakdown RETURN breakdown",
                Map.of("config", config), result -> result.next());
    }

    @Test
    void predictionsOfTheStoredModelEqualTheTrainingRun() {
        Map<Long, List<Double>> trained = trainedProbabilities();
        List<Map<String, Object>> rows = db.executeTransactionally("CALL gat.predict.stream('byWeight', "
                + "{includeProbabilities: true}) YIELD node, probabilities "
                + "RETURN id(node) AS id, probabilities", Map.of(),
                result -> result.stream().toList());
        assertThat(rows).hasSize(SOURCES + TARGETS);
        for (Map<String, Object> row : rows) {
            assertClose(probabilities(row), trained.get((Long) row.get("id")));
        }
        // Given nodes read only their neighbourhood (ModelRun.loadAround), with its relationships' features.
        List<Long> given = trained.keySet().stream().sorted().skip(SOURCES).limit(12).toList();
        List<Map<String, Object>> around = db.executeTransactionally("CALL gat.predict.stream('byWeight', "
                + "{nodes: $nodes, includeProbabilities: true}) YIELD node, probabilities "
                + "RETURN id(node) AS id, probabilities",
                Map.of("nodes", given), result -> result.stream().toList());
        assertThat(around).hasSize(given.size());
        for (Map<String, Object> row : around) {
            assertClose(probabilities(row), trained.get((Long) row.get("id")));
        }
    }

    @Test
    void attentionOfTheStoredModelEqualsTheTrainingRun() {
        List<Map<String, Object>> rows = db.executeTransactionally("CALL gat.attention.stream('byWeight') "
                + "YIELD relationship, weight WHERE relationship IS NOT NULL "
                + "RETURN relationship.trainedAttention AS trained, weight", Map.of(),
                result -> result.stream().toList());
        assertThat(rows).hasSize(3 * TARGETS);
        for (Map<String, Object> row : rows) {
            assertThat((Double) row.get("weight")).isCloseTo(((Number) row.get("trained")).doubleValue(),
                    within(TOLERANCE));
        }
    }

    @Test
    void explanationsOfTheStoredModelPredictAsTheTrainingRun() {
        Map<Long, List<Double>> trained = trainedProbabilities();
        List<Long> targets = db.executeTransactionally("MATCH (t:Target) RETURN id(t) AS id ORDER BY t.id LIMIT 5",
                Map.of(), result -> result.stream().map(row -> (Long) row.get("id")).toList());
        for (long target : targets) {
            Map<String, Object> prediction = db.executeTransactionally("CALL gat.explain.stream('byWeight', $node) "
                            + "YIELD kind, probability, predictedClass WHERE kind = 'prediction' "
                            + "RETURN probability, predictedClass", Map.of("node", target),
                    result -> result.next());
            List<Double> p = trained.get(target);
            int best = 0;
            for (int c = 1; c < p.size(); c++) {
                best = p.get(c) > p.get(best) ? c : best;
            }
            assertThat((Double) prediction.get("probability")).isCloseTo(p.get(best), within(TOLERANCE));
            // Occlusion removes relationships with their features: every row comes out, none fails.
            long relationshipRows = db.executeTransactionally("CALL gat.explain.stream('byWeight', $node) "
                    + "YIELD kind, occlusionDelta WHERE kind = 'relationship' AND occlusionDelta IS NOT NULL "
                    + "RETURN count(*) AS n", Map.of("node", target), result -> (Long) result.next().get("n"));
            assertThat(relationshipRows).isEqualTo(3);
        }
    }

    /** The map form, GATv2 and an undirected projection: stored, read back, and the given-nodes run agrees. */
    @Test
    @SuppressWarnings("unchecked")
    void aMapPerTypeOnAnUndirectedGatV2Model() {
        Map<String, Object> config = config(false);
        config.put("variant", "gatv2");
        config.put("orientation", "UNDIRECTED");
        config.put("epochs", 5);
        config.put("relationshipFeatures", Map.of("LINK", List.of("weight")));
        config.put("missingRelationshipFeatures", "zero");
        Map<String, Object> trained = train("perType", config);
        assertThat((Map<String, Object>) trained.get("configuration"))
                .containsEntry("relationshipFeatures", Map.of("LINK", List.of("weight")));
        Map<String, Object> projection = db.executeTransactionally("CALL gat.model.info('perType') YIELD projection "
                + "RETURN projection", Map.of(), result -> (Map<String, Object>) result.next().get("projection"));
        assertThat((Map<String, Object>) projection.get("relationshipFeatures"))
                .containsEntry("byType", Map.of("LINK", List.of("weight"))).containsEntry("missing", "zero")
                .doesNotContainKey("mean");
        Map<Long, List<Double>> full = new HashMap<>();
        db.executeTransactionally("CALL gat.predict.stream('perType', {includeProbabilities: true}) "
                + "YIELD node, probabilities RETURN id(node) AS id, probabilities", Map.of(), result -> {
                    result.stream().forEach(row -> full.put((Long) row.get("id"), probabilities(row)));
                    return null;
                });
        List<Long> given = full.keySet().stream().sorted().limit(200).skip(140).toList();
        List<Map<String, Object>> around = db.executeTransactionally("CALL gat.predict.stream('perType', "
                + "{nodes: $nodes, includeProbabilities: true}) YIELD node, probabilities "
                + "RETURN id(node) AS id, probabilities", Map.of("nodes", given), result -> result.stream().toList());
        assertThat(around).hasSize(given.size());
        for (Map<String, Object> row : around) {
            assertClose(probabilities(row), full.get((Long) row.get("id")));
        }
    }

    /**
     * With a memoryBudget far below what full-batch inference needs, predict and attention run layer by layer
     * (LayerWiseInference, each chunk's relationships with their features) and give exactly the full run's rows,
     * for the stored GAT model and a GATv2 model on an undirected projection; the layer-wise write equals the
     * full-batch one.
     */
    @Test
    void aSmallMemoryBudgetRunsLayerByLayerAndEqualsTheFullRun() {
        Map<String, Object> gatV2 = config(false);
        gatV2.put("variant", "gatv2");
        gatV2.put("orientation", "UNDIRECTED");
        gatV2.put("epochs", 5);
        gatV2.put("relationshipFeatures", "weight");
        train("layerWiseV2", gatV2);
        String predict = "CALL gat.predict.stream($model, $config) YIELD node, predictedClass, probabilities "
                + "RETURN id(node) AS id, predictedClass, probabilities ORDER BY id";
        String attention = "CALL gat.attention.stream($model, $config) YIELD source, target, relationship, head, "
                + "weight RETURN id(source) AS source, id(target) AS target, "
                + "coalesce(elementId(relationship), 'self') AS relationship, head, weight "
                + "ORDER BY target, source, relationship, head";
        for (String model : List.of("byWeight", "layerWiseV2")) {
            long budget = leastLayerWiseBudget(model) + 3000;
            assertSameRows(predict, model, Map.of("includeProbabilities", true), budget, SOURCES + TARGETS);
            for (int layer = 0; layer < 2; layer++) {
                // Every slot (each relationship, both ways when undirected, and each self loop) at least once.
                assertSameRows(attention, model, Map.of("attentionLayer", layer, "attentionHeads", "all"), budget,
                        SOURCES + TARGETS + 3 * TARGETS * (model.equals("byWeight") ? 1 : 2));
            }
            for (String mode : List.of("full", "lw")) {
                Map<String, Object> write = new HashMap<>(Map.of("writeProperty", "class_" + mode,
                        "probabilityProperty", "p_" + mode));
                if (mode.equals("lw")) {
                    write.put("memoryBudget", budget);
                }
                db.executeTransactionally("CALL gat.predict.write($model, $config)",
                        Map.of("model", model, "config", write));
            }
            List<Map<String, Object>> nodes = db.executeTransactionally("MATCH (n:Node) RETURN n.class_full AS cf, "
                    + "n.class_lw AS cl, n.p_full AS pf, n.p_lw AS pl", Map.of(), result -> result.stream().toList());
            assertThat(nodes).hasSize(SOURCES + TARGETS);
            for (Map<String, Object> node : nodes) {
                assertThat(node.get("cl")).isNotNull().isEqualTo(node.get("cf"));
                assertThat(node.get("pl")).isNotNull().usingRecursiveComparison().isEqualTo(node.get("pf"));
            }
            db.executeTransactionally("MATCH (n:Node) REMOVE n.class_full, n.class_lw, n.p_full, n.p_lw");
        }
    }

    /** The least budget a layer-wise run of {@code model} needs, read from the error a budget of 1 byte gives. */
    private static long leastLayerWiseBudget(String model) {
        Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> db.executeTransactionally(
                "CALL gat.predict.stream($model, {memoryBudget: 1}) YIELD node RETURN count(node)",
                Map.of("model", model), result -> result.stream().toList()));
        StringBuilder messages = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("give at least .* \\((\\d+) bytes\\)")
                .matcher(messages);
        assertThat(matcher.find()).as("the least budget is named: " + messages).isTrue();
        return Long.parseLong(matcher.group(1));
    }

    private static void assertSameRows(String query, String model, Map<String, Object> config, long budget,
                                       int leastRows) {
        List<Map<String, Object>> full = db.executeTransactionally(query, Map.of("model", model, "config", config),
                result -> result.stream().toList());
        Map<String, Object> small = new HashMap<>(config);
        small.put("memoryBudget", budget);
        List<Map<String, Object>> layerWise = db.executeTransactionally(query,
                Map.of("model", model, "config", small), result -> result.stream().toList());
        assertThat(full).as(model + " " + query + " " + config).hasSizeGreaterThanOrEqualTo(leastRows);
        assertThat(layerWise).as(model + " " + query + " " + config).isEqualTo(full);
    }

    private static Map<Long, List<Double>> trainedProbabilities() {
        Map<Long, List<Double>> trained = new HashMap<>();
        db.executeTransactionally("MATCH (n:Node) RETURN id(n) AS id, n.trainedProbabilities AS p", Map.of(),
                result -> {
                    result.stream().forEach(row -> {
                        Object stored = row.get("p");
                        List<Double> p = new ArrayList<>();
                        for (int c = 0; c < java.lang.reflect.Array.getLength(stored); c++) {
                            p.add(((Number) java.lang.reflect.Array.get(stored, c)).doubleValue());
                        }
                        trained.put((Long) row.get("id"), p);
                    });
                    return null;
                });
        return trained;
    }

    @SuppressWarnings("unchecked")
    private static List<Double> probabilities(Map<String, Object> row) {
        return (List<Double>) row.get("probabilities");
    }

    private static void assertClose(List<Double> actual, List<Double> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int c = 0; c < actual.size(); c++) {
            assertThat(actual.get(c)).isCloseTo(expected.get(c), within(TOLERANCE));
        }
    }
}
