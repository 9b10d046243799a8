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
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * gat.attention.stream on a typed model ({@link PaperGraph}, UNDIRECTED: ABOUT to authors and venues with their
 * rev_ relations, CITES both ways with self loops): a row per edge of every relation the layer attends over, named
 * by its relation, each stored relationship behind the right rows, and the weights into each target of one relation
 * summing to 1 per head.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TypedAttentionTest {

    private static final int HEADS = 4;

    @TempDir
    static Path workingDirectory;

    private EmbeddedNeo4j neo4j;
    private GraphDatabaseService db;

    @BeforeAll
    void createAndTrain() {
        neo4j = new EmbeddedNeo4j(workingDirectory, null);
        db = neo4j.db();
        PaperGraph.create(db, 23);
        Map<String, Object> config = TypedProcedureTest.typedConfig();
        config.put("epochs", 10);
        db.executeTransactionally("CALL gat.train('typed', $config)", Map.of("config", config),
                result -> result.stream().count());
    }

    @AfterAll
    void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    /** Every row of one layer per head, with what the test checks about its nodes and relationship. */
    private List<Map<String, Object>> rows(int layer, String heads) {
        return db.executeTransactionally("""
                CALL gat.attention.stream('typed', {attentionLayer: $layer, attentionHeads: $heads})
                YIELD source, target, relationship, layer, head, weight, relation
                RETURN relation, layer, head, weight, id(source) AS source, id(target) AS target,
                       labels(source)[0] AS sourceLabel, labels(target)[0] AS targetLabel,
                       id(relationship) AS relationship, type(relationship) AS type,
                       id(startNode(relationship)) AS start, id(endNode(relationship)) AS end
                """, Map.of("layer", layer, "heads", heads), result -> result.stream().toList());
    }

    private long count(String query) {
        return db.executeTransactionally(query, Map.of(), result -> (Long) result.next().get("n"));
    }

    private Set<Object> storedIds(String query) {
        return db.executeTransactionally(query, Map.of(),
                result -> result.stream().map(row -> row.get("id")).collect(Collectors.toSet()));
    }

    @Test
    void theFirstLayerGivesEveryRelationsEdgesNamedAndMappedToTheirRelationships() {
        List<Map<String, Object>> rows = rows(0, "all");
        Map<Object, List<Map<String, Object>>> byRelation = rows.stream()
                .collect(Collectors.groupingBy(row -> row.get("relation")));
        assertThat(byRelation.keySet()).containsExactlyInAnyOrder(
                "(Paper)-[ABOUT]->(Author)", "(Author)-[rev_ABOUT]->(Paper)",
                "(Paper)-[ABOUT]->(Venue)", "(Venue)-[rev_ABOUT]->(Paper)", "(Paper)-[CITES]->(Paper)");
        assertThat(rows).allSatisfy(row -> {
            assertThat(row.get("layer")).isEqualTo(0L);
            assertThat((Long) row.get("head")).isBetween(0L, (long) HEADS - 1);
            String relation = (String) row.get("relation");
            // "(Source)-[NAME]->(Target)": the row's nodes carry the relation's labels.
            String[] parts = relation.split("\\)-\\[|\\]->\\(");
            assertThat("(" + row.get("sourceLabel")).isEqualTo(parts[0]);
            assertThat(row.get("targetLabel") + ")").isEqualTo(parts[2]);
            String name = parts[1];
            if (row.get("relationship") == null) {
                // A self loop: only within one label, on the node itself.
                assertThat(relation).isEqualTo("(Paper)-[CITES]->(Paper)");
                assertThat(row.get("source")).isEqualTo(row.get("target"));
            } else if (name.startsWith("rev_")) {
                // The target attends to the source over the stored relationship read backwards.
                assertThat(row.get("type")).isEqualTo(name.substring(4));
                assertThat(row.get("start")).isEqualTo(row.get("target"));
                assertThat(row.get("end")).isEqualTo(row.get("source"));
            } else if (name.equals("ABOUT")) {
                assertThat(row.get("type")).isEqualTo("ABOUT");
                assertThat(row.get("start")).isEqualTo(row.get("source"));
                assertThat(row.get("end")).isEqualTo(row.get("target"));
            } else {
                // CITES between papers, UNDIRECTED: either direction of the stored relationship.
                assertThat(row.get("type")).isEqualTo("CITES");
                assertThat(Set.of(row.get("start"), row.get("end")))
                        .isEqualTo(Set.of(row.get("source"), row.get("target")));
            }
        });
        for (String label : List.of("Author", "Venue")) {
            Set<Object> stored = storedIds("MATCH (:Paper)-[r:ABOUT]->(:" + label + ") RETURN id(r) AS id");
            for (String relation : List.of("(Paper)-[ABOUT]->(" + label + ")", "(" + label + ")-[rev_ABOUT]->(Paper)")) {
                List<Map<String, Object>> of = byRelation.get(relation);
                assertThat(of).as(relation).hasSize(stored.size() * HEADS);
                assertThat(of.stream().map(row -> row.get("relationship")).collect(Collectors.toSet()))
                        .as(relation).isEqualTo(stored);
            }
        }
        // CITES: each stored relationship once each way, and one self loop per paper, per head.
        List<Map<String, Object>> cites = byRelation.get("(Paper)-[CITES]->(Paper)");
        long citations = count("MATCH (:Paper)-[r:CITES]->(:Paper) RETURN count(r) AS n");
        long papers = count("MATCH (p:Paper) RETURN count(p) AS n");
        assertThat(cites).hasSize((int) ((2 * citations + papers) * HEADS));
        Map<Object, Long> perRelationship = cites.stream().filter(row -> row.get("relationship") != null)
                .collect(Collectors.groupingBy(row -> row.get("relationship"), Collectors.counting()));
        assertThat(perRelationship).hasSize((int) citations);
        assertThat(perRelationship.values()).containsOnly(2L * HEADS);
    }

    @Test
    void theWeightsIntoEachTargetOfOneRelationSumToOnePerHead() {
        for (int layer = 0; layer < 2; layer++) {
            Map<List<Object>, Double> sums = new HashMap<>();
            for (Map<String, Object> row : rows(layer, "all")) {
                double weight = (Double) row.get("weight");
                assertThat(weight).isBetween(0.0, 1.0);
                sums.merge(List.of(row.get("relation"), row.get("target"), row.get("head")), weight, Double::sum);
            }
            assertThat(sums).isNotEmpty();
            assertThat(sums.values()).allSatisfy(sum -> assertThat(sum).isCloseTo(1.0, within(1e-4)));
        }
    }

    @Test
    void theLastLayerAttendsOnlyOverTheRelationsIntoTheTargetLabel() {
        List<Map<String, Object>> rows = rows(-1, "mean");
        assertThat(rows).extracting(row -> row.get("relation")).containsOnly("(Author)-[rev_ABOUT]->(Paper)",
                "(Venue)-[rev_ABOUT]->(Paper)", "(Paper)-[CITES]->(Paper)");
        assertThat(rows).allSatisfy(row -> {
            assertThat(row.get("layer")).isEqualTo(1L);
            assertThat(row.get("head")).isNull();
            assertThat(row.get("targetLabel")).isEqualTo("Paper");
        });
        // Heads averaged: the mean of the per-head weights of the same edge.
        List<Map<String, Object>> allHeads = rows(1, "all");
        // The output layer has its own head count.
        long heads = allHeads.stream().map(row -> row.get("head")).distinct().count();
        Map<List<Object>, Double> perHead = new HashMap<>();
        for (Map<String, Object> row : allHeads) {
            perHead.merge(List.of(row.get("relation"), row.get("source"), row.get("target"),
                    String.valueOf(row.get("relationship"))), (Double) row.get("weight") / heads, Double::sum);
        }
        Map<List<Object>, Double> mean = new HashMap<>();
        for (Map<String, Object> row : rows) {
            mean.merge(List.of(row.get("relation"), row.get("source"), row.get("target"),
                    String.valueOf(row.get("relationship"))), (Double) row.get("weight"), Double::sum);
        }
        assertThat(mean.keySet()).isEqualTo(perHead.keySet());
        mean.forEach((key, value) -> assertThat(value).isCloseTo(perHead.get(key), within(1e-5)));
    }

    @Test
    void selfLoopsCanBeLeftOut() {
        long withoutSelfLoops = db.executeTransactionally("""
                CALL gat.attention.stream('typed', {includeSelfLoops: false}) YIELD relationship
                RETURN count(*) AS n, count(relationship) AS stored
                """, Map.of(), result -> {
            Map<String, Object> row = result.next();
            assertThat(row.get("n")).isEqualTo(row.get("stored"));
            return (Long) row.get("n");
        });
        long withSelfLoops = count("CALL gat.attention.stream('typed') YIELD relationship RETURN count(*) AS n");
        assertThat(withSelfLoops - withoutSelfLoops).isEqualTo(count("MATCH (p:Paper) RETURN count(p) AS n"));
    }
}
