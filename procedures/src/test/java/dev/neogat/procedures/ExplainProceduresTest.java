package dev.neogat.procedures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Transaction;
import org.neo4j.harness.Neo4j;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.within;

/**
 * gat.explain.stream and gat.explain.write on the small :Item graph in a real Neo4j: the rows agree with
 * gat.predict.stream, the occlusion of a relationship equals what gat.predict.stream says after deleting it
 * (in a transaction rolled back), the write lands on the right nodes; and bad input fails with one clear
 * message and writes nothing.
 */
class ExplainProceduresTest {

    private static final String STREAM = "CALL gat.explain.stream('m', $node, $config) YIELD kind, rank, node, "
            + "relationship, predictedClass, probability, runnerUpClass, flow, occlusionDelta, topFeatures "
            + "RETURN kind, rank, node.itemId AS itemId, elementId(relationship) AS relationshipId, predictedClass, "
            + "probability, runnerUpClass, flow, occlusionDelta, topFeatures";

    @TempDir
    static Path dir;

    private static Neo4j neo4j;
    private static GraphDatabaseService db;
    private static long itemId;

    @BeforeAll
    static void start() {
        neo4j = Harness.start(dir.resolve("server"), null);
        db = Harness.db(neo4j);
        SmallGraph.create(db, 30);
        db.executeTransactionally("CREATE (:Vocabulary {words: ['a', 'b', 'c', 'd']})");
        Map<String, Object> config = SmallGraph.trainConfig("epochs", 30);
        db.executeTransactionally("CALL gat.train('m', $config)", Map.of("config", config));
        itemId = single("MATCH (n:Item {itemId: 4}) RETURN id(n) AS id", Map.of()).get("id") instanceof Long l ? l : -1;
    }

    @AfterAll
    static void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    @Test
    void rowsAgreeWithPredictAndOcclusionWithADeletedRelationship() {
        Map<String, Object> config = Map.of("k", 1000, "topFeatures", 2, "featureNames", "words");
        List<Map<String, Object>> rows = rows(STREAM, Map.of("node", itemId, "config", config));
        Map<String, Object> summary = rows.get(0);
        assertThat(summary.get("kind")).isEqualTo("prediction");
        Map<String, Object> predicted = single("MATCH (n) WHERE id(n) = $id CALL gat.predict.stream('m', "
                + "{includeProbabilities: true}) YIELD node, predictedClass, probabilities WHERE node = n "
                + "RETURN predictedClass, probabilities", Map.of("id", itemId));
        assertThat(summary.get("predictedClass")).isEqualTo(predicted.get("predictedClass"));
        @SuppressWarnings("unchecked")
        List<Double> probabilities = (List<Double>) predicted.get("probabilities");
        double p = (Double) summary.get("probability");
        assertThat(p).isCloseTo(probabilities.stream().mapToDouble(Double::doubleValue).max().orElseThrow(),
                within(1e-6));
        assertThat(summary.get("runnerUpClass")).isIn("red", "green", "blue").isNotEqualTo(summary.get("predictedClass"));

        List<Map<String, Object>> nodes = rows.stream().filter(r -> "node".equals(r.get("kind"))).toList();
        List<Map<String, Object>> relationships = rows.stream().filter(r -> "relationship".equals(r.get("kind")))
                .toList();
        assertThat(nodes.get(0).get("rank")).isEqualTo(0L);
        assertThat(nodes.get(0).get("itemId")).isEqualTo(4L);
        double shares = nodes.stream().mapToDouble(r -> (Double) r.get("flow")).sum();
        assertThat(shares).as("all nodes listed: the shares sum to 1").isCloseTo(1, within(1e-6));
        assertThat(relationships).isNotEmpty();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> features = (List<Map<String, Object>>) nodes.get(0).get("topFeatures");
        assertThat(features).hasSize(2);
        assertThat(features.get(0).get("feature")).isIn("a", "b", "c", "d");

        // The most influential relationship, deleted for real in a transaction that is rolled back.
        Map<String, Object> top = relationships.stream().filter(r -> (Long) r.get("rank") == 1).findFirst()
                .orElseThrow();
        String elementId = (String) top.get("relationshipId");
        double without;
        try (Transaction tx = db.beginTx()) {
            tx.execute("MATCH ()-[r]->() WHERE elementId(r) = $id DELETE r", Map.of("id", elementId)).close();
            @SuppressWarnings("unchecked")
            List<Double> after = (List<Double>) tx.execute("MATCH (n) WHERE id(n) = $id CALL gat.predict.stream('m', "
                    + "{includeProbabilities: true}) YIELD node, probabilities WHERE node = n RETURN probabilities",
                    Map.of("id", itemId)).next().get("probabilities");
            int predictedIndex = probabilities.indexOf(probabilities.stream().max(Double::compare).orElseThrow());
            without = after.get(predictedIndex);
            tx.rollback();
        }
        assertThat((Double) top.get("occlusionDelta")).isCloseTo(without - p, within(1e-5));
    }

    @Test
    void kCutsTheRowsAndANodeWorksAsWellAsItsId() {
        List<Map<String, Object>> byId = rows(STREAM, Map.of("node", itemId, "config", Map.of("k", 1, "rankBy", "flow")));
        List<Map<String, Object>> byNode = rows("MATCH (n) WHERE id(n) = $node CALL gat.explain.stream('m', n, $config) "
                + "YIELD kind, rank, flow RETURN kind, rank, flow", Map.of("node", itemId, "config",
                Map.of("k", 1, "rankBy", "flow")));
        assertThat(byId.stream().filter(r -> "relationship".equals(r.get("kind")))).hasSize(1);
        assertThat(byNode.size()).isEqualTo(byId.size());
        // Target, the top neighbour and the end nodes of the top relationship: 2 or 3 nodes.
        assertThat(byId.stream().filter(r -> "node".equals(r.get("kind"))).count()).isBetween(2L, 3L);
    }

    @Test
    void theStreamReadsOnlyTheNeighbourhood() {
        // An :Item far away without features breaks a run over the whole projection, not this node's explanation.
        db.executeTransactionally("CREATE (:Item {itemId: 1000, colour: 'red'})");
        try {
            assertThat(failure("CALL gat.predict.stream('m') YIELD node RETURN count(node)", Map.of()))
                    .contains("features");
            List<Map<String, Object>> rows = rows(STREAM, Map.of("node", itemId, "config", Map.of()));
            assertThat(rows.get(0).get("kind")).isEqualTo("prediction");
        } finally {
            db.executeTransactionally("MATCH (n:Item {itemId: 1000}) DELETE n");
        }
    }

    @Test
    void writeStoresTheTopRelationshipsOfTheGivenNodes() {
        Map<String, Object> result = single("MATCH (n:Item) WHERE n.itemId IN [1, 2] WITH collect(n) AS nodes "
                + "CALL gat.explain.write('m', {writeProperty: 'why', nodes: nodes, k: 2}) YIELD nodeCount, "
                + "propertiesWritten RETURN nodeCount, propertiesWritten", Map.of());
        assertThat(result.get("nodeCount")).isEqualTo(2L);
        assertThat(result.get("propertiesWritten")).isEqualTo(2L);
        List<Map<String, Object>> written = rows("MATCH (n:Item) WHERE n.why IS NOT NULL RETURN n.itemId AS id, "
                + "n.why AS why ORDER BY id", Map.of());
        assertThat(written).extracting(r -> r.get("id")).containsExactly(1L, 2L);
        for (Map<String, Object> row : written) {
            String[] ids = (String[]) row.get("why");
            assertThat(ids.length).isBetween(1, 2);
            Map<String, Object> check = single("UNWIND $ids AS rid MATCH ()-[r]->() WHERE elementId(r) = rid "
                    + "RETURN count(r) AS found", Map.of("ids", List.of(ids)));
            assertThat(check.get("found")).isEqualTo((long) ids.length);
        }
        db.executeTransactionally("MATCH (n:Item) REMOVE n.why");
    }

    static Stream<Arguments> badStreams() {
        return Stream.of(
                Arguments.of(Map.of("kk", 3), "Unknown configuration key 'kk'; did you mean 'k'?"),
                Arguments.of(Map.of("k", 0), "Configuration 'k' must be between 1 and"),
                Arguments.of(Map.of("head", 2), "Configuration 'head' must be between 0 and 1, got 2"),
                Arguments.of(Map.of("head", "max"), "Configuration 'head' must be 'mean' or a head index from 0 to 1, "
                        + "got the string 'max'"),
                Arguments.of(Map.of("rankBy", "attention"), "Configuration 'rankBy' must be one of [occlusion, flow]"),
                Arguments.of(Map.of("featureNames", List.of("a", "b")), "Configuration 'featureNames' has 2 names but "
                        + "the model has 4 input features"),
                Arguments.of(Map.of("featureNames", "nothingHere"), "Configuration 'featureNames' names the property "
                        + "'nothingHere', but no node has it"),
                Arguments.of(Map.of("featureNames", "colour"), "Configuration 'featureNames': the property 'colour' "
                        + "holds the string"),
                Arguments.of(Map.of("featureNames", Map.of("Item", List.of("a"))), "Configuration 'featureNames' must "
                        + "be a list of names or the name of a node property holding them, but was"));
    }

    @ParameterizedTest
    @MethodSource("badStreams")
    void badStreamConfigurationFails(Map<String, Object> config, String message) {
        assertThat(failure(STREAM, Map.of("node", itemId, "config", config))).contains(message);
    }

    @Test
    void badNodesFail() {
        long vocabulary = (Long) single("MATCH (v:Vocabulary) RETURN id(v) AS id", Map.of()).get("id");
        assertThat(failure(STREAM, Map.of("node", vocabulary, "config", Map.of())))
                .contains("The node (id " + vocabulary + ") is not in the model's projection (node labels [Item]");
        assertThat(failure(STREAM, Map.of("node", "four", "config", Map.of())))
                .contains("The node must be a node or a node id, got the string 'four'");
        assertThat(failure("CALL gat.explain.stream('nope', $node, {})", Map.of("node", itemId))).contains("nope");
    }

    @Test
    void writeRefusesInputsAndWritesNothing() {
        for (String[] bad : new String[][]{{"colour", "labelProperty"}, {"features", "featureProperties"},
                {"split", "splitProperty"}}) {
            assertThat(failure("CALL gat.explain.write('m', {writeProperty: $p})", Map.of("p", bad[0])))
                    .contains("Configuration 'writeProperty' names the property '" + bad[0] + "', an input of this run ("
                            + bad[1]);
        }
        assertThat(failure("CALL gat.explain.write('m', {writeProperty: 'why2', nodes: [1, 'x']})", Map.of()))
                .contains("Configuration 'nodes' entry 1 must be a node or a node id, got the string 'x'");
        assertThat(failure("CALL gat.explain.write('m', {writeProperty: 'why2', nodes: 3})", Map.of()))
                .contains("Configuration 'nodes' must be a list of nodes or node ids, got 3");
        assertThat(failure("CALL gat.explain.write('m', {nodes: []})", Map.of()))
                .contains("Configuration 'writeProperty' is required");
        assertThat(single("MATCH (n) WHERE n.why2 IS NOT NULL RETURN count(n) AS c", Map.of()).get("c")).isEqualTo(0L);
        assertThat(single("MATCH (n:Item) WHERE n.colour IN ['red', 'green', 'blue'] RETURN count(n) AS c", Map.of())
                .get("c")).as("inputs untouched").isEqualTo(30L);
    }

    private static String failure(String query, Map<String, Object> params) {
        Throwable thrown = catchThrowable(() -> rows(query, params));
        assertThat(thrown).as(query + " " + params).isNotNull();
        StringBuilder messages = new StringBuilder();
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        return messages.toString();
    }

    private static Map<String, Object> single(String query, Map<String, Object> params) {
        List<Map<String, Object>> rows = rows(query, params);
        assertThat(rows).hasSize(1);
        return rows.get(0);
    }

    private static List<Map<String, Object>> rows(String query, Map<String, Object> params) {
        return db.executeTransactionally(query, params, result -> {
            List<Map<String, Object>> rows = new ArrayList<>();
            result.forEachRemaining(rows::add);
            return rows;
        });
    }
}
