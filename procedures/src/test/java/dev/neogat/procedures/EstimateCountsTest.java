package dev.neogat.procedures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.graphdb.Direction;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.RelationshipType;
import org.neo4j.graphdb.Transaction;
import org.neo4j.harness.Neo4j;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * gat.train.estimate's node and relationship counts come from the store's counts; they must equal what a scan of
 * every projected node and its outgoing degree gives (the definition they replace), including a node with two
 * projected labels (counted once per label), relationships leaving the projection, a type without relationships,
 * deleted nodes and relationships, and empty label or type lists.
 */
class EstimateCountsTest {

    @TempDir
    static Path dir;

    private static Neo4j neo4j;
    private static GraphDatabaseService db;

    @BeforeAll
    static void start() {
        neo4j = Harness.start(dir.resolve("server"), null);
        db = Harness.db(neo4j);
        db.executeTransactionally("""
                UNWIND range(0, 39) AS i
                CREATE (n:A {features: [toFloat(i % 3), 1.0], class: i % 2, split: 'train'})
                WITH collect(n) AS as
                UNWIND range(0, 14) AS i
                CREATE (m:B {features: [1.0, toFloat(i)], class: i % 2, split: 'test'})
                WITH as, collect(m) AS bs
                UNWIND range(0, 59) AS k
                WITH as[k % 40] AS a, as[(k * 7) % 40] AS other, bs[k % 15] AS b, k
                CREATE (a)-[:X]->(other)
                CREATE (b)-[:Y]->(a)
                FOREACH (_ IN CASE WHEN k % 4 = 0 THEN [1] ELSE [] END | CREATE (a)-[:Y]->(:Outside)
                  SET a:B)
                """);
        db.executeTransactionally("CREATE (:C)-[:UNUSED_BY_A]->(:C)");
        // Deleted data must not count: the counts store follows deletions.
        db.executeTransactionally("MATCH (n:A) WITH n LIMIT 1 DETACH DELETE n");
        db.executeTransactionally("MATCH (:B)-[r:Y]->(:A) WITH r LIMIT 3 DELETE r");
    }

    @AfterAll
    static void stop() {
        neo4j.close();
    }

    static Stream<List<List<String>>> projections() {
        return Stream.of(
                List.of(List.of("A"), List.of("X")),
                List.of(List.of("A"), List.of("X", "Y")),
                List.of(List.of("A", "B"), List.of("X", "Y")),
                List.of(List.of("B"), List.of("Y", "UNUSED_BY_A")),
                List.of(List.of("A", "B"), List.of()),
                List.of(List.of(), List.of("X")),
                List.of(List.of(), List.of()));
    }

    @ParameterizedTest
    @MethodSource("projections")
    void countsEqualAScanOfTheProjectedNodes(List<List<String>> projection) {
        List<String> labels = projection.get(0);
        List<String> types = projection.get(1);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("nodeLabels", labels);
        config.put("relationshipTypes", types);
        config.put("featureProperties", List.of("features"));
        config.put("labelProperty", "class");
        config.put("missingFeatures", "zero");
        config.put("typed", false);
        Map<String, Object> row = db.executeTransactionally(
                "CALL gat.train.estimate($config) YIELD nodeCount, relationshipCount RETURN *",
                Map.of("config", config), result -> result.next());
        long[] scanned = scan(labels, types);
        assertThat(row.get("nodeCount")).as("nodes of %s", projection).isEqualTo(scanned[0]);
        assertThat(row.get("relationshipCount")).as("relationships of %s", projection).isEqualTo(scanned[1]);
        assertThat(scanned[1]).isPositive();
    }

    /** The counts as the estimate defined them before: each projected label's nodes and their outgoing degrees. */
    private static long[] scan(List<String> labels, List<String> types) {
        try (Transaction tx = db.beginTx()) {
            long nodes = 0;
            long relationships = 0;
            RelationshipType[] typeArray = types.stream().map(RelationshipType::withName)
                    .toArray(RelationshipType[]::new);
            List<Iterable<Node>> perLabel = labels.isEmpty() ? List.of(tx.getAllNodes())
                    : labels.stream().<Iterable<Node>>map(l -> tx.findNodes(Label.label(l)).stream().toList()).toList();
            for (Iterable<Node> group : perLabel) {
                for (Node node : group) {
                    nodes++;
                    if (typeArray.length == 0) {
                        relationships += node.getDegree(Direction.OUTGOING);
                    } else {
                        for (RelationshipType type : typeArray) {
                            relationships += node.getDegree(type, Direction.OUTGOING);
                        }
                    }
                }
            }
            return new long[] {nodes, relationships};
        }
    }
}
