package dev.neogat.procedures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.neo4j.graphdb.GraphDatabaseService;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The {@code nodes} key for typed models ({@link PaperGraph}: Paper, Author, Venue and the featureless Topic; ABOUT
 * and CITES, each relationship with a 'weight'): gat.predict.stream, gat.embed.stream and gat.attention.stream over
 * given nodes read only their typed L-hop neighbourhood and give exactly the full run's rows for them, for
 * relationAggregation 'sum' (UNDIRECTED, relationship features, one learned input per Topic node), 'mean'
 * (REVERSE, one learned input for every Topic) and 'attention' (whose β needs every node of a label, so the whole
 * projection is run); papers added after training included. A broken node outside the neighbourhood is never read;
 * bad nodes fail naming the entry.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@SuppressWarnings("unchecked")
class TypedGivenNodesTest {

    /** Float sums in another order (each relation's edges as the neighbourhood lists them). */
    private static final double TOLERANCE = 1e-6;
    private static final List<String> MODELS = List.of("sum", "mean", "attention");

    @TempDir
    static Path dir;

    private EmbeddedNeo4j neo4j;
    private GraphDatabaseService db;
    /** Node sets to ask about, each a list of Neo4j ids of papers (one given twice, some added after training). */
    private final List<List<Long>> paperSets = new ArrayList<>();

    private static Map<String, Object> config(String aggregation) {
        Map<String, Object> config = TypedProcedureTest.typedConfig();
        config.put("nodeLabels", List.of("Paper", "Author", "Venue", "Topic"));
        Map<String, Object> features = new HashMap<>((Map<String, Object>) config.get("featureProperties"));
        features.put("Topic", null);
        config.put("featureProperties", features);
        config.put("typed", true);
        config.put("relationAggregation", aggregation);
        config.put("heads", 2);
        config.put("hiddenChannels", 4);
        config.put("epochs", 8);
        switch (aggregation) {
            case "sum" -> {
                config.put("featurelessNodes", "node");
                config.put("relationshipFeatures", "weight");
                config.put("standardizeRelationshipFeatures", true);
            }
            case "mean" -> config.put("orientation", "REVERSE");
            default -> { }
        }
        return config;
    }

    @BeforeAll
    void createAndTrain() {
        neo4j = new EmbeddedNeo4j(dir, null);
        db = neo4j.db();
        PaperGraph.create(db, 23);
        db.executeTransactionally("MATCH ()-[r]->() SET r.weight = toFloat(id(r) % 7) / 7.0");
        for (String model : MODELS) {
            db.executeTransactionally("CALL gat.train($name, $config)", Map.of("name", model, "config",
                    config(model)));
        }
        PaperGraph.addPapers(db, new Random(5), PaperGraph.PAPERS, 10, false);
        db.executeTransactionally("MATCH ()-[r]->() WHERE r.weight IS NULL SET r.weight = 0.5");
        paperSets.add(paperIds(List.of(7)));
        paperSets.add(paperIds(List.of(3, 150, 3, PaperGraph.PAPERS + 2, 299)));
        paperSets.add(paperIds(List.of(PaperGraph.PAPERS + 9, 42, 41, 40)));
    }

    @AfterAll
    void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sum", "mean", "attention"})
    void predictionsEqualTheFullRun(String model) {
        Map<Long, Map<String, Object>> full = byNode(rows("CALL gat.predict.stream($model, {includeProbabilities: "
                + "true}) YIELD node, predictedClass, probabilities RETURN id(node) AS node, predictedClass, "
                + "probabilities", Map.of("model", model)));
        assertThat(full).hasSize(PaperGraph.PAPERS + 10);
        double worst = 0;
        for (List<Long> given : paperSets) {
            List<Map<String, Object>> rows = rows("CALL gat.predict.stream($model, {nodes: $nodes, "
                    + "includeProbabilities: true}) YIELD node, predictedClass, probabilities RETURN id(node) AS node, "
                    + "predictedClass, probabilities", Map.of("model", model, "nodes", given));
            assertThat(rows.stream().map(row -> (Long) row.get("node")).toList()).isEqualTo(given);
            for (Map<String, Object> row : rows) {
                Map<String, Object> expected = full.get((Long) row.get("node"));
                assertThat(row.get("predictedClass")).isEqualTo(expected.get("predictedClass"));
                worst = Math.max(worst, assertClose((List<Double>) row.get("probabilities"),
                        (List<Double>) expected.get("probabilities"), model + " node " + row.get("node")));
            }
        }
        System.out.printf("%s: largest difference from the full run's probabilities %.3g%n", model, worst);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sum", "mean", "attention"})
    void embeddingsOfNodesOfEveryLabelEqualTheFullRun(String model) {
        Map<Long, Map<String, Object>> full = byNode(rows("CALL gat.embed.stream($model) YIELD node, embedding "
                + "RETURN id(node) AS node, embedding", Map.of("model", model)));
        List<Long> given = new ArrayList<>(paperSets.get(1));
        for (String label : List.of("Author", "Topic", "Venue")) {
            given.addAll(ids("MATCH (n:" + label + ") RETURN id(n) AS id ORDER BY id LIMIT 3"));
        }
        given.add(1, given.get(given.size() - 1));
        List<Map<String, Object>> rows = rows("CALL gat.embed.stream($model, {nodes: $nodes}) YIELD node, embedding "
                + "RETURN id(node) AS node, embedding", Map.of("model", model, "nodes", given));
        assertThat(rows.stream().map(row -> (Long) row.get("node")).toList()).isEqualTo(given);
        for (Map<String, Object> row : rows) {
            assertClose((List<Double>) row.get("embedding"),
                    (List<Double>) full.get((Long) row.get("node")).get("embedding"), model + " " + row.get("node"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sum", "mean", "attention"})
    void attentionIntoTheGivenNodesEqualsTheFullRun(String model) {
        for (int layer = 0; layer < 2; layer++) {
            String query = "CALL gat.attention.stream($model, $config) YIELD source, target, relationship, head, "
                    + "weight, relation RETURN id(source) AS source, id(target) AS target, id(relationship) AS "
                    + "relationship, head, weight, relation";
            List<Map<String, Object>> full = rows(query, Map.of("model", model, "config",
                    Map.of("attentionLayer", layer, "attentionHeads", "all")));
            List<Long> given = new ArrayList<>(paperSets.get(1));
            if (layer == 0 && !model.equals("mean")) { // reversed, no relation points into Author
                given.addAll(ids("MATCH (n:Author) RETURN id(n) AS id ORDER BY id LIMIT 2"));
            }
            List<Map<String, Object>> rows = rows(query, Map.of("model", model, "config", Map.of("attentionLayer",
                    layer, "attentionHeads", "all", "nodes", given)));
            List<Map<String, Object>> expected = new ArrayList<>();
            for (long node : given) {
                full.stream().filter(row -> row.get("target").equals(node)).forEach(expected::add);
            }
            assertThat(rows).hasSameSizeAs(expected).isNotEmpty();
            // One set per entry in the given order; within a node, rows as the full run lists them by relation.
            for (int i = 0; i < rows.size(); i++) {
                Map<String, Object> row = rows.get(i);
                Map<String, Object> want = expected.get(i);
                assertThat(List.of(row.get("target"), row.get("relation"))).as(model + " row " + i)
                        .isEqualTo(List.of(want.get("target"), want.get("relation")));
            }
            Map<String, Double> expectedWeights = new HashMap<>();
            expected.forEach(row -> expectedWeights.put(edgeKey(row), (Double) row.get("weight")));
            for (Map<String, Object> row : rows) {
                assertThat(expectedWeights).as(model).containsKey(edgeKey(row));
                assertThat((Double) row.get("weight")).as(model + " " + edgeKey(row))
                        .isCloseTo(expectedWeights.get(edgeKey(row)), org.assertj.core.api.Assertions.within(TOLERANCE));
            }
        }
    }

    @Test
    void aBrokenNodeOutsideTheNeighbourhoodIsNeverRead() {
        // A paper without its feature property, citing and cited by another new paper: the whole projection cannot
        // be read, the neighbourhood of an old paper never reaches it.
        db.executeTransactionally("CREATE (a:Paper {paperId: -1}), (b:Paper {paperId: -2, text: [0.1, 0.2, 0.3, 0.4, "
                + "0.5, 0.6, 0.7, 0.8]}), (a)-[:CITES {weight: 1.0}]->(b), (b)-[:CITES {weight: 1.0}]->(a)");
        try {
            for (String model : MODELS) {
                String query = "CALL gat.predict.stream($model, $config) YIELD node RETURN count(node) AS n";
                if (!model.equals("attention")) {
                    assertThat(rows(query, Map.of("model", model, "config", Map.of("nodes", paperSets.get(1))))
                            .get(0).get("n")).isEqualTo((long) paperSets.get(1).size());
                }
                assertThatThrownBy(() -> rows(query, Map.of("model", model, "config", Map.of()))).as(model)
                        .rootCause().hasMessageContaining("lacks the feature property 'text'");
                assertThatThrownBy(() -> rows(query, Map.of("model", model, "config", Map.of("nodes",
                        paperIds(List.of(-2)))))).as(model + ": b's neighbourhood holds a")
                        .rootCause().hasMessageContaining("lacks the feature property 'text'");
            }
        } finally {
            db.executeTransactionally("MATCH (p:Paper) WHERE p.paperId < 0 DETACH DELETE p");
        }
    }

    @Test
    void aTopicNodeUnseenInTrainingIsRefusedWhereItIsRead() {
        long paper = paperIds(List.of(11)).get(0);
        long far = paperSets.get(0).get(0);
        String elementId = db.executeTransactionally("MATCH (p) WHERE id(p) = $paper CREATE (t:Topic {topicId: -1}), "
                + "(p)-[:ABOUT {weight: 0.5}]->(t) RETURN elementId(t) AS id", Map.of("paper", paper),
                result -> (String) result.next().get("id"));
        try {
            String query = "CALL gat.predict.stream('sum', {nodes: $nodes}) YIELD node RETURN count(node) AS n";
            assertThatThrownBy(() -> rows(query, Map.of("nodes", List.of(far, paper)))).rootCause()
                    .hasMessageContaining("The node " + elementId + " of the label 'Topic' was not in the training "
                            + "graph of the typed model 'sum', which was trained with featurelessNodes 'node'");
            long farFromIt = rows("MATCH (p) WHERE id(p) = $far OPTIONAL MATCH path = (p)-[*..2]-(t:Topic {topicId: "
                    + "-1}) RETURN count(path) AS n", Map.of("far", far)).get(0).get("n") instanceof Long n ? n : -1;
            if (farFromIt == 0) {
                assertThat(rows(query, Map.of("nodes", List.of(far))).get(0).get("n")).isEqualTo(1L);
            }
            // 'mean' learned one input for every Topic: a new one is predicted.
            assertThat(rows("CALL gat.predict.stream('mean', {nodes: $nodes}) YIELD node RETURN count(node) AS n",
                    Map.of("nodes", List.of(paper))).get(0).get("n")).isEqualTo(1L);
        } finally {
            db.executeTransactionally("MATCH (t:Topic {topicId: -1}) DETACH DELETE t");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sum", "attention"})
    void badNodesFailNamingTheEntry(String model) {
        long author = ids("MATCH (n:Author) RETURN id(n) AS id ORDER BY id LIMIT 1").get(0);
        long other = db.executeTransactionally("CREATE (n:Other) RETURN id(n) AS id", Map.of(),
                result -> (Long) result.next().get("id"));
        long paper = paperSets.get(0).get(0);
        try {
            String predict = "CALL gat.predict.stream($model, {nodes: $nodes}) YIELD node RETURN node";
            assertThatThrownBy(() -> rows(predict, Map.of("model", model, "nodes", List.of(paper, author))))
                    .rootCause().hasMessage("Configuration 'nodes' entry 1 (id " + author + ") is a 'Author' node; "
                            + "the typed model '" + model + "' predicts nodes of its target label 'Paper' only");
            assertThatThrownBy(() -> rows(predict, Map.of("model", model, "nodes", List.of(other))))
                    .rootCause().hasMessage("Configuration 'nodes' entry 0 (id " + other + ") is not in the model's "
                            + "projection (node labels [Paper, Author, Venue, Topic])");
            assertThatThrownBy(() -> rows(predict, Map.of("model", model, "nodes", List.of(paper, 1_000_000_000L))))
                    .rootCause().hasMessage("Configuration 'nodes' entry 1: there is no node with id 1000000000");
            assertThatThrownBy(() -> rows("CALL gat.attention.stream($model, {nodes: $nodes}) YIELD weight RETURN "
                    + "weight", Map.of("model", model, "nodes", List.of(author)))).rootCause().hasMessage(
                    "Configuration 'nodes' entry 0 (id " + author + ") is a 'Author' node; layer 1 of the typed "
                            + "model '" + model + "' attends over relations into [Paper] only");
            assertThatThrownBy(() -> rows("CALL gat.embed.stream($model, {nodes: $nodes}) YIELD node RETURN node",
                    Map.of("model", model, "nodes", List.of(other)))).rootCause()
                    .hasMessageContaining("(id " + other + ") is not in the model's projection");
        } finally {
            db.executeTransactionally("MATCH (n:Other) DELETE n");
        }
    }

    private List<Long> paperIds(List<Integer> paperIds) {
        Map<Long, Long> byPaper = new HashMap<>();
        rows("MATCH (p:Paper) WHERE p.paperId IN $ids RETURN p.paperId AS paper, id(p) AS id", Map.of("ids",
                paperIds)).forEach(row -> byPaper.put(((Number) row.get("paper")).longValue(), (Long) row.get("id")));
        return paperIds.stream().map(p -> byPaper.get((long) p)).toList();
    }

    private List<Long> ids(String query) {
        return rows(query, Map.of()).stream().map(row -> (Long) row.get("id")).toList();
    }

    private List<Map<String, Object>> rows(String query, Map<String, Object> parameters) {
        return db.executeTransactionally(query, parameters, result -> result.stream().toList());
    }

    private static Map<Long, Map<String, Object>> byNode(List<Map<String, Object>> rows) {
        Map<Long, Map<String, Object>> byNode = new HashMap<>();
        rows.forEach(row -> byNode.put((Long) row.get("node"), row));
        return byNode;
    }

    private static String edgeKey(Map<String, Object> row) {
        return row.get("relation") + " " + row.get("source") + "->" + row.get("target") + " " + row.get("relationship")
                + " head " + row.get("head");
    }

    /** Fails beyond {@link #TOLERANCE}; returns the largest difference. */
    private static double assertClose(List<Double> actual, List<Double> expected, String what) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        double worst = 0;
        for (int i = 0; i < actual.size(); i++) {
            worst = Math.max(worst, Math.abs(actual.get(i) - expected.get(i)));
        }
        assertThat(worst).as(what).isLessThanOrEqualTo(TOLERANCE);
        return worst;
    }
}
