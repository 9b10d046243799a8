package dev.neogat.procedures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import dev.neogat.graph.Orientation;
import dev.neogat.procedures.config.ProjectionConfig;
import dev.neogat.procedures.load.GraphLoader;
import dev.neogat.procedures.load.LoadedGraph;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Transaction;
import org.neo4j.harness.Neo4j;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.within;

/**
 * The {@code nodes} key of gat.predict.stream, gat.attention.stream and gat.embed.stream, and
 * gat.attention.neighbours, which read only the given nodes' L-hop neighbourhood: for GAT and GATv2 with two
 * layers, on a NATURAL and an UNDIRECTED projection of a small generated graph in a real Neo4j, every row equals
 * the full run's row for those nodes; a node created after training is predicted; bad input fails clearly.
 */
class GivenNodesPredictionTest {

    private static final double TOLERANCE = 1e-5;
    /** Item ids to ask about: spread over the graph, one twice. */
    private static final List<Long> GIVEN_ITEMS = List.of(3L, 17L, 40L, 17L, 59L, 0L);

    @TempDir
    static Path dir;

    private static Neo4j neo4j;
    private static GraphDatabaseService db;

    @BeforeAll
    static void start() {
        neo4j = Harness.start(dir.resolve("server"), null);
        db = Harness.db(neo4j);
        SmallGraph.create(db, 60);
        // Loops and a pair linked both ways: a loop is one relationship however it is walked, and a relationship
        // between two nodes that both receive messages is one edge, from whichever end the walk meets it first.
        db.executeTransactionally("MATCH (i:Item) WITH i ORDER BY elementId(i) LIMIT 3 CREATE (i)-[:LINKS]->(i)");
        db.executeTransactionally("MATCH (a:Item)-[:LINKS]->(b:Item) WHERE a <> b WITH a, b LIMIT 1 "
                + "CREATE (b)-[:LINKS]->(a)");
        db.executeTransactionally("CREATE (:Other {features: [1.0, 0.0, 0.0, 0.5]})");
        for (String model : models().toList()) {
            String[] parts = model.split("_");
            Map<String, Object> config = SmallGraph.trainConfig("variant", parts[0], "orientation", parts[1],
                    "layers", 2, "epochs", 15);
            db.executeTransactionally("CALL gat.train($name, $config)", Map.of("name", model, "config", config));
        }
    }

    @AfterAll
    static void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    static Stream<String> models() {
        return Stream.of("GAT_NATURAL", "GATV2_NATURAL", "GAT_UNDIRECTED", "GATV2_UNDIRECTED");
    }

    @ParameterizedTest
    @MethodSource("models")
    void predictionsEqualTheFullRun(String model) {
        String query = "CALL gat.predict.stream($model, $config) YIELD node, predictedClass, probabilities "
                + "RETURN node.itemId AS item, predictedClass, probabilities";
        Map<Object, Map<String, Object>> full = byItem(rows(query, Map.of("model", model,
                "config", Map.of("includeProbabilities", true))));
        assertThat(full).hasSize(60);
        List<Map<String, Object>> given = rows(query, Map.of("model", model,
                "config", Map.of("includeProbabilities", true, "nodes", ids(GIVEN_ITEMS))));
        assertThat(given).extracting(row -> row.get("item")).as("one row per entry, in order")
                .containsExactlyElementsOf(GIVEN_ITEMS);
        for (Map<String, Object> row : given) {
            Map<String, Object> expected = full.get(row.get("item"));
            assertThat(row.get("predictedClass")).as("item " + row.get("item"))
                    .isEqualTo(expected.get("predictedClass"));
            assertClose(numbers(row.get("probabilities")), numbers(expected.get("probabilities")),
                    "probabilities of item " + row.get("item"));
        }
        // Nodes as Node values give the same rows as ids.
        List<Map<String, Object>> asNodes = rows("MATCH (n:Item) WHERE n.itemId IN [3, 40] WITH n ORDER BY n.itemId "
                + "WITH collect(n) AS nodes CALL gat.predict.stream($model, {nodes: nodes}) YIELD node, predictedClass "
                + "RETURN node.itemId AS item, predictedClass", Map.of("model", model));
        assertThat(asNodes).extracting(row -> row.get("item")).containsExactly(3L, 40L);
        for (Map<String, Object> row : asNodes) {
            assertThat(row.get("predictedClass")).isEqualTo(full.get(row.get("item")).get("predictedClass"));
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void attentionIntoTheGivenNodesEqualsTheFullRun(String model) {
        List<Long> distinct = new ArrayList<>(new LinkedHashSet<>(GIVEN_ITEMS));
        String query = "CALL gat.attention.stream($model, $config) YIELD source, target, relationship, head, weight "
                + "RETURN source.itemId AS source, target.itemId AS target, "
                + "coalesce(elementId(relationship), 'self') AS relationship, head, weight";
        for (int layer = 0; layer < 2; layer++) {
            Map<String, Object> fullConfig = Map.of("attentionLayer", layer, "attentionHeads", "all");
            Map<String, Double> full = new HashMap<>();
            for (Map<String, Object> row : rows(query, Map.of("model", model, "config", fullConfig))) {
                if (distinct.contains((Long) row.get("target"))) {
                    full.put(edgeKey(row), (Double) row.get("weight"));
                }
            }
            Map<String, Object> givenConfig = new HashMap<>(fullConfig);
            givenConfig.put("nodes", ids(distinct));
            Map<String, Double> given = new HashMap<>();
            for (Map<String, Object> row : rows(query, Map.of("model", model, "config", givenConfig))) {
                assertThat(given.put(edgeKey(row), (Double) row.get("weight"))).as("row once").isNull();
            }
            assertThat(full).as("layer " + layer + " has edges into the given nodes").isNotEmpty();
            assertThat(given.keySet()).as("layer " + layer).isEqualTo(full.keySet());
            for (Map.Entry<String, Double> entry : full.entrySet()) {
                assertThat(given.get(entry.getKey())).as("layer " + layer + " " + entry.getKey())
                        .isCloseTo(entry.getValue(), within(TOLERANCE));
            }
        }
        // gat.attention.neighbours reads one node's neighbourhood: its weights are the full run's (heads averaged).
        long centre = distinct.get(1);
        Map<String, Double> fullMean = new HashMap<>();
        for (Map<String, Object> row : rows(query, Map.of("model", model, "config", Map.of()))) {
            if ((Long) row.get("target") == centre) {
                fullMean.put(edgeKey(row), (Double) row.get("weight"));
            }
        }
        List<Map<String, Object>> neighbours = rows("MATCH (n:Item {itemId: $item}) CALL gat.attention.neighbours("
                + "$model, n, {k: 1000}) YIELD source, target, relationship, weight RETURN source.itemId AS source, "
                + "target.itemId AS target, coalesce(elementId(relationship), 'self') AS relationship, null AS head, "
                + "weight", Map.of("model", model, "item", centre));
        assertThat(neighbours).hasSize(fullMean.size());
        for (Map<String, Object> row : neighbours) {
            assertThat((Double) row.get("weight")).as(edgeKey(row))
                    .isCloseTo(fullMean.get(edgeKey(row)), within(TOLERANCE));
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void embeddingsEqualTheFullRun(String model) {
        String query = "CALL gat.embed.stream($model, $config) YIELD node, embedding "
                + "RETURN node.itemId AS item, embedding";
        Map<Object, Map<String, Object>> full = byItem(rows(query, Map.of("model", model, "config", Map.of())));
        List<Map<String, Object>> given = rows(query, Map.of("model", model,
                "config", Map.of("nodes", ids(GIVEN_ITEMS))));
        assertThat(given).extracting(row -> row.get("item")).containsExactlyElementsOf(GIVEN_ITEMS);
        for (Map<String, Object> row : given) {
            assertClose(numbers(row.get("embedding")), numbers(full.get(row.get("item")).get("embedding")),
                    "embedding of item " + row.get("item"));
        }
    }

    @Test
    void aNodeAddedAfterTrainingIsPredicted() {
        try (Transaction tx = db.beginTx()) {
            tx.execute("""
                    CREATE (new:Item {itemId: 1000, features: [0.1, 0.2, 0.9, 0.3]})
                    WITH new MATCH (old:Item) WHERE old.itemId IN [2, 5, 8]
                    CREATE (old)-[:LINKS]->(new) CREATE (new)-[:LINKS]->(old)
                    """).close();
            long id = (Long) tx.execute("MATCH (n:Item {itemId: 1000}) RETURN id(n) AS id").next().get("id");
            Map<String, Object> full = tx.execute("CALL gat.predict.stream('GAT_NATURAL', {includeProbabilities: "
                    + "true}) YIELD node, predictedClass, probabilities WHERE id(node) = $id RETURN predictedClass, "
                    + "probabilities", Map.of("id", id)).next();
            List<Map<String, Object>> given = new ArrayList<>();
            tx.execute("CALL gat.predict.stream('GAT_NATURAL', {includeProbabilities: true, nodes: [$id]}) "
                    + "YIELD node, predictedClass, probabilities RETURN id(node) AS id, predictedClass, probabilities",
                    Map.of("id", id)).forEachRemaining(given::add);
            assertThat(given).hasSize(1);
            assertThat(given.get(0).get("id")).isEqualTo(id);
            assertThat(given.get(0).get("predictedClass")).isEqualTo(full.get("predictedClass"));
            assertClose(numbers(given.get(0).get("probabilities")), numbers(full.get("probabilities")),
                    "probabilities of the new node");
            tx.rollback();
        }
    }

    @Test
    void badNodesFailClearly() {
        long other = (Long) rows("MATCH (n:Other) RETURN id(n) AS id", Map.of()).get(0).get("id");
        long item = ids(List.of(3L)).get(0);
        assertThat(failure("CALL gat.predict.stream('GAT_NATURAL', {nodes: 'x'})"))
                .contains("Configuration 'nodes' must be a list of nodes or node ids, got the string 'x'");
        assertThat(failure("CALL gat.attention.stream('GAT_NATURAL', {nodes: [" + item + ", 'a']})"))
                .contains("Configuration 'nodes' entry 1 must be a node or a node id, got the string 'a'");
        assertThat(failure("CALL gat.embed.stream('GAT_NATURAL', {nodes: [" + item + ", " + other + "]})"))
                .contains("Configuration 'nodes' entry 1 (id " + other + ") is not in the model's projection "
                        + "(node labels [Item]");
        assertThat(failure("CALL gat.predict.stream('GAT_NATURAL', {nodes: [987654321]})"))
                .contains("Configuration 'nodes' entry 0: there is no node with id 987654321");
        assertThat(failure("CALL gat.predict.stream('GAT_NATURAL', {nodes: []})"))
                .contains("Configuration 'nodes' is an empty list");
        assertThat(failure("CALL gat.embed.stream('GAT_NATURAL', {nodes: [" + item + "], pcaDimensions: 2})"))
                .contains("Give either 'pcaDimensions' or 'nodes', not both");
        assertThat(failure("MATCH (n:Other) CALL gat.attention.neighbours('GAT_NATURAL', n) YIELD rank RETURN rank"))
                .contains("The node (id " + other + ") is not in the model's projection");
        assertThat(failure("CALL gat.predict.write('GAT_NATURAL', {writeProperty: 'p', nodes: [" + item + "]})"))
                .contains("Unknown configuration key 'nodes'");
        assertThat(rows("MATCH (n) WHERE n.p IS NOT NULL RETURN n", Map.of())).as("nothing written").isEmpty();
    }

    @ParameterizedTest
    @MethodSource("orientations")
    void theNeighbourhoodIsTheNodesWithinTwoMessageSteps(String orientation) {
        List<Long> targets = ids(List.of(3L, 40L));
        String pattern = orientation.equals("NATURAL") ? "(s:Item)-[:LINKS*0..2]->(t)" : "(s:Item)-[:LINKS*0..2]-(t)";
        List<Long> expected = rows("MATCH (t) WHERE id(t) IN $targets MATCH " + pattern + " RETURN DISTINCT id(s) AS id",
                Map.of("targets", targets)).stream().map(row -> (Long) row.get("id")).toList();
        ProjectionConfig projection = new ProjectionConfig(List.of("Item"), List.of("LINKS"),
                Orientation.valueOf(orientation), true, false, List.of("features"), false);
        try (Transaction tx = db.beginTx()) {
            LoadedGraph graph = GraphLoader.loadNeighbourhood(tx, projection,
                    targets.stream().mapToLong(Long::longValue).toArray(), i -> "entry " + i, 2, () -> { });
            List<Long> loaded = new ArrayList<>();
            for (int i = 0; i < graph.nodeCount(); i++) {
                loaded.add(graph.nodes().toNeo4j(i));
            }
            assertThat(loaded.subList(0, 2)).as("the targets first").isEqualTo(targets);
            assertThat(loaded).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(loaded.size()).as("less than the whole graph").isLessThan(60);
        }
    }

    static Stream<String> orientations() {
        return Stream.of("NATURAL", "UNDIRECTED");
    }

    private static String edgeKey(Map<String, Object> row) {
        return row.get("source") + "->" + row.get("target") + " " + row.get("relationship") + " head "
                + row.get("head");
    }

    private static List<Long> ids(List<Long> items) {
        Map<Object, Map<String, Object>> byItem = byItem(rows("MATCH (n:Item) RETURN n.itemId AS item, id(n) AS id",
                Map.of()));
        return items.stream().map(item -> (Long) byItem.get(item).get("id")).toList();
    }

    private static Map<Object, Map<String, Object>> byItem(List<Map<String, Object>> rows) {
        Map<Object, Map<String, Object>> byItem = new HashMap<>();
        for (Map<String, Object> row : rows) {
            assertThat(byItem.put(row.get("item"), row)).as("item " + row.get("item") + " once").isNull();
        }
        return byItem;
    }

    @SuppressWarnings("unchecked")
    private static double[] numbers(Object list) {
        return ((List<Number>) list).stream().mapToDouble(Number::doubleValue).toArray();
    }

    private static void assertClose(double[] actual, double[] expected, String what) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as(what + " [" + i + "]").isCloseTo(expected[i], within(TOLERANCE));
        }
    }

    private static String failure(String query) {
        Throwable thrown = catchThrowable(() -> rows(query, Map.of()));
        assertThat(thrown).as(query).isNotNull();
        StringBuilder messages = new StringBuilder();
        for (Throwable t = thrown; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        return messages.toString();
    }

    private static List<Map<String, Object>> rows(String query, Map<String, Object> params) {
        return db.executeTransactionally(query, params, result -> {
            List<Map<String, Object>> rows = new ArrayList<>();
            result.forEachRemaining(rows::add);
            return rows;
        });
    }
}
