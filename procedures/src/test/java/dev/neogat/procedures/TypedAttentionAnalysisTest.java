package dev.neogat.procedures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.graphdb.GraphDatabaseService;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * gat.attention.write, entropy, histogram, neighbours and extremes on typed models ({@link PaperGraph}, UNDIRECTED):
 * 'typed' over ABOUT and CITES; 'twoWithin' also over SIMILAR, a second relation within Paper, trained with
 * attention write-back from gat.train under typed: 'auto'. Every written or derived value is checked against the rows
 * of gat.attention.stream.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TypedAttentionAnalysisTest {

    private static final int HEADS = 4;
    private static final String CITES = "(Paper)-[CITES]->(Paper)";
    private static final String SIMILAR = "(Paper)-[SIMILAR]->(Paper)";

    @TempDir
    static Path workingDirectory;

    private EmbeddedNeo4j neo4j;
    private GraphDatabaseService db;
    private Map<String, Object> twoWithinTrained;

    @BeforeAll
    void createAndTrain() {
        neo4j = new EmbeddedNeo4j(workingDirectory, null);
        db = neo4j.db();
        PaperGraph.create(db, 29);
        db.executeTransactionally("""
                MATCH (p:Paper), (q:Paper) WHERE q.paperId = (p.paperId + 1) % $n OR q.paperId = (p.paperId * 7) % $n
                  AND q <> p
                CREATE (p)-[:SIMILAR]->(q)""", Map.of("n", PaperGraph.PAPERS));
        Map<String, Object> config = TypedProcedureTest.typedConfig();
        config.put("epochs", 10);
        train("typed", config);
        Map<String, Object> twoWithin = TypedProcedureTest.typedConfig();
        twoWithin.put("epochs", 10);
        twoWithin.put("relationshipTypes", List.of("ABOUT", "CITES", "SIMILAR"));
        twoWithin.put("attentionProperty", "trained");
        twoWithin.put("selfAttentionProperty", "trainedSelf");
        twoWithinTrained = train("twoWithin", twoWithin);
        Map<String, Object> reversed = TypedProcedureTest.typedConfig();
        reversed.put("epochs", 5);
        reversed.put("orientation", "REVERSE");
        train("reversed", reversed);
    }

    private Map<String, Object> train(String name, Map<String, Object> config) {
        return db.executeTransactionally("CALL gat.train($name, $config)", Map.of("name", name, "config", config),
                result -> result.next());
    }

    @AfterAll
    void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    private List<Map<String, Object>> rows(String query, Map<String, Object> parameters) {
        return db.executeTransactionally(query, parameters, result -> result.stream().toList());
    }

    /** The stream's rows of one layer with the ids of their nodes and relationship. */
    private List<Map<String, Object>> stream(String model, int layer, String heads) {
        return rows("""
                CALL gat.attention.stream($model, {attentionLayer: $layer, attentionHeads: $heads})
                YIELD source, target, relationship, head, weight, relation
                RETURN relation, head, weight, id(source) AS source, id(target) AS target,
                       id(relationship) AS relationship, id(startNode(relationship)) AS start
                """, Map.of("model", model, "layer", layer, "heads", heads));
    }

    /** A written relationship property by relationship id (absent ones left out). */
    private Map<Object, Object> written(String property) {
        return rows("MATCH ()-[r]->() WHERE r[$p] IS NOT NULL RETURN id(r) AS id, r[$p] AS value",
                Map.of("p", property)).stream().collect(Collectors.toMap(row -> row.get("id"), row -> row.get("value")));
    }

    private Map<Object, Object> writtenOnNodes(String property) {
        return rows("MATCH (n) WHERE n[$p] IS NOT NULL RETURN id(n) AS id, n[$p] AS value",
                Map.of("p", property)).stream().collect(Collectors.toMap(row -> row.get("id"), row -> row.get("value")));
    }

    private long count(String query) {
        return db.executeTransactionally(query, Map.of(), result -> (Long) result.next().get("n"));
    }

    /**
     * Checks that the written attention is the stream's: a row whose target is the relationship's end node is the
     * forward property, one whose target is its start node the Reverse property; self loops the self attention.
     */
    private void assertWrittenIsStreamed(List<Map<String, Object>> streamed, String property, String selfProperty,
                                         boolean perHead) {
        Map<Object, Object> forward = written(property);
        Map<Object, Object> backward = written(property + "Reverse");
        Map<Object, Object> self = writtenOnNodes(selfProperty);
        int checked = 0;
        for (Map<String, Object> row : streamed) {
            Object relationship = row.get("relationship");
            Object value;
            if (relationship == null) {
                value = self.get(row.get("source"));
            } else {
                boolean backwards = row.get("target").equals(row.get("start"));
                value = (backwards ? backward : forward).get(relationship);
            }
            assertThat(value).as("%s", row).isNotNull();
            double actual = perHead ? ((double[]) value)[((Long) row.get("head")).intValue()] : (Double) value;
            assertThat(actual).as("%s", row).isCloseTo((Double) row.get("weight"), within(1e-6));
            checked++;
        }
        assertThat(checked).isPositive();
    }

    @Test
    void theLastLayersAttentionIsWrittenWhereItExistsAndEqualsTheStream() {
        Map<String, Object> result = rows("CALL gat.attention.write('typed', {attentionProperty: 'last', "
                + "selfAttentionProperty: 'lastSelf'})", Map.of()).get(0);
        assertThat(result.get("layer")).isEqualTo(1L);
        assertWrittenIsStreamed(stream("typed", 1, "mean"), "last", "lastSelf", false);
        // The last layer attends only into Paper: ABOUT has only its rev_ direction (Author/Venue attend to no one).
        assertThat(count("MATCH ()-[r:ABOUT]->() WHERE r.last IS NOT NULL RETURN count(r) AS n")).isZero();
        long about = count("MATCH (:Paper)-[r:ABOUT]->(:Author|Venue) RETURN count(r) AS n");
        assertThat(count("MATCH ()-[r:ABOUT]->() WHERE r.lastReverse IS NOT NULL RETURN count(r) AS n"))
                .isEqualTo(about).isPositive();
        long cites = count("MATCH ()-[r:CITES]->() RETURN count(r) AS n");
        assertThat(count("MATCH ()-[r:CITES]->() WHERE r.last IS NOT NULL AND r.lastReverse IS NOT NULL "
                + "RETURN count(r) AS n")).isEqualTo(cites);
        long papers = count("MATCH (p:Paper) RETURN count(p) AS n");
        assertThat(writtenOnNodes("lastSelf")).hasSize((int) papers);
        assertThat(count("MATCH (n:Author|Venue) WHERE n.lastSelf IS NOT NULL RETURN count(n) AS n")).isZero();
        long properties = 2 * cites + about + papers;
        assertThat(result.get("propertiesWritten")).isEqualTo(properties);
    }

    @Test
    void theFirstLayersAttentionPerHeadCoversBothDirectionsOfEveryRelationship() {
        rows("CALL gat.attention.write('typed', {attentionProperty: 'first', selfAttentionProperty: 'firstSelf', "
                + "attentionLayer: 0, attentionHeads: 'all'})", Map.of());
        assertWrittenIsStreamed(stream("typed", 0, "all"), "first", "firstSelf", true);
        long about = count("MATCH (:Paper)-[r:ABOUT]->(:Author|Venue) RETURN count(r) AS n");
        assertThat(count("MATCH ()-[r:ABOUT]->() WHERE size(r.first) = 4 AND size(r.firstReverse) = 4 "
                + "RETURN count(r) AS n")).isEqualTo(about);
    }

    @Test
    void theMeanOfDirectionsIsTheMeanOfThoseTheLayerAttendsOver() {
        rows("CALL gat.attention.write('typed', {attentionProperty: 'both', attentionDirections: 'mean'})", Map.of());
        Map<Object, Object> both = written("both");
        Map<Object, List<Double>> streamed = new HashMap<>();
        for (Map<String, Object> row : stream("typed", 1, "mean")) {
            if (row.get("relationship") != null) {
                streamed.computeIfAbsent(row.get("relationship"), r -> new ArrayList<>()).add((Double) row.get("weight"));
            }
        }
        assertThat(both.keySet()).isEqualTo(streamed.keySet());
        streamed.forEach((relationship, weights) -> assertThat((Double) both.get(relationship))
                .isCloseTo(weights.stream().mapToDouble(Double::doubleValue).average().orElseThrow(), within(1e-6)));
    }

    @Test
    void theWrittenWeightsIntoAPaperOverOneRelationSumToOne() {
        rows("CALL gat.attention.write('typed', {attentionProperty: 'sum', selfAttentionProperty: 'sumSelf'})",
                Map.of());
        List<Map<String, Object>> sums = rows("""
                MATCH (p:Paper)
                OPTIONAL MATCH (p)<-[in:CITES]-()
                WITH p, sum(in.sum) AS incoming
                OPTIONAL MATCH (p)-[out:CITES]->()
                WITH p, incoming, sum(out.sumReverse) AS outgoing
                OPTIONAL MATCH (p)-[about:ABOUT]->(:Author)
                RETURN id(p) AS paper, incoming + outgoing + p.sumSelf AS cites, count(about) AS authors, sum(about.sumReverse) AS author
                """, Map.of());
        assertThat(sums).hasSize(PaperGraph.PAPERS);
        assertThat(sums).allSatisfy(row -> {
            assertThat((Double) row.get("cites")).isCloseTo(1.0, within(1e-5));
            // A paper ABOUT an author gives that author all of its (Author)-[rev_ABOUT]->(Paper) attention.
            if ((Long) row.get("authors") > 0) {
                assertThat(((Number) row.get("author")).doubleValue()).isCloseTo(1.0, within(1e-5));
            }
        });
    }

    @Test
    void gatTrainWritesAttentionForATypedModelAndSelfAttentionIsTheMeanOverRelationsWithinTheLabel() {
        assertThat(twoWithinTrained.get("propertiesWritten")).isNotEqualTo(0L);
        List<Map<String, Object>> streamed = stream("twoWithin", 1, "mean");
        assertThat(streamed).extracting(row -> row.get("relation")).contains(CITES, SIMILAR);
        Map<Object, Object> forward = written("trained");
        Map<Object, Object> backward = written("trainedReverse");
        Map<Object, List<Double>> selfLoops = new HashMap<>();
        for (Map<String, Object> row : streamed) {
            if (row.get("relationship") == null) {
                selfLoops.computeIfAbsent(row.get("source"), n -> new ArrayList<>()).add((Double) row.get("weight"));
            } else {
                boolean backwards = row.get("target").equals(row.get("start"));
                assertThat((Double) (backwards ? backward : forward).get(row.get("relationship"))).as("%s", row)
                        .isCloseTo((Double) row.get("weight"), within(1e-6));
            }
        }
        Map<Object, Object> self = writtenOnNodes("trainedSelf");
        assertThat(self.keySet()).isEqualTo(selfLoops.keySet());
        selfLoops.forEach((node, weights) -> {
            assertThat(weights).hasSize(2);
            assertThat((Double) self.get(node)).isCloseTo((weights.get(0) + weights.get(1)) / 2, within(1e-6));
        });
    }

    @Test
    void aReverseProjectionWritesOneDirectionTheOneTheStartNodeAttendsOver() {
        Map<String, Object> result = rows("CALL gat.attention.write('reversed', {attentionProperty: 'reversed', "
                + "attentionLayer: 0})", Map.of()).get(0);
        Map<Object, Object> written = written("reversed");
        assertThat(written("reversedReverse")).isEmpty();
        List<Map<String, Object>> streamed = stream("reversed", 0, "mean").stream()
                .filter(row -> row.get("relationship") != null).toList();
        assertThat(streamed).extracting(row -> row.get("relation")).contains("(Author)-[ABOUT]->(Paper)", CITES);
        assertThat(streamed).hasSize(written.size());
        assertThat(result.get("propertiesWritten")).isEqualTo((long) written.size());
        for (Map<String, Object> row : streamed) {
            // REVERSE: the relationship's start node is the one that attends.
            assertThat(row.get("target")).isEqualTo(row.get("start"));
            assertThat((Double) written.get(row.get("relationship"))).isCloseTo((Double) row.get("weight"),
                    within(1e-6));
        }
    }

    @Test
    void aFailingValidationWritesNothing() {
        assertThatThrownBy(() -> rows("CALL gat.attention.write('typed', {attentionProperty: 'never', "
                + "selfAttentionProperty: 'text'})", Map.of())).rootCause()
                .hasMessageContaining("Configuration 'selfAttentionProperty' names the property 'text', an input");
        assertThatThrownBy(() -> rows("CALL gat.attention.write('typed', {attentionProperty: 'never', "
                + "attentionLayer: 2})", Map.of())).rootCause()
                .hasMessage("attentionLayer 2 does not exist: the model has 2 layers (0 to 1)");
        assertThatThrownBy(() -> rows("CALL gat.attention.entropy.write('typed', {entropyProperty: 'never', "
                + "relation: '(Paper)-[CITE]->(Paper)'})", Map.of())).rootCause()
                .hasMessage("Configuration 'relation' names '(Paper)-[CITE]->(Paper)', which layer 1 of the model "
                        + "'typed' does not attend over; did you mean '" + CITES + "'? its relations are "
                        + "[(Author)-[rev_ABOUT]->(Paper), (Venue)-[rev_ABOUT]->(Paper), " + CITES + "]");
        assertThatThrownBy(() -> rows("CALL gat.attention.entropy.write('typed', {entropyProperty: 'never'})",
                Map.of())).rootCause().hasMessageContaining("layer 1 attends over 3 relations, each with its own "
                + "softmax; give 'relation', one of");
        assertThat(count("MATCH ()-[r]->() WHERE r.never IS NOT NULL RETURN count(r) AS n")).isZero();
        assertThat(count("MATCH (n) WHERE n.never IS NOT NULL OR n.neverUniform IS NOT NULL RETURN count(n) AS n"))
                .isZero();
    }

    /** -Σ w ln w of the streamed weights, per (layer, relation, target, head). */
    private Map<List<Object>, Double> entropyOfStream(String model) {
        Map<List<Object>, Double> entropy = new HashMap<>();
        for (int layer = 0; layer < 2; layer++) {
            for (Map<String, Object> row : stream(model, layer, "all")) {
                double w = (Double) row.get("weight");
                entropy.merge(List.of((long) layer, row.get("relation"), row.get("target"), row.get("head")),
                        w > 0 ? -w * Math.log(w) : 0.0, Double::sum);
            }
        }
        return entropy;
    }

    private List<Map<String, Object>> entropyRows(String model) {
        return rows("""
                CALL gat.attention.entropy.stream($model)
                YIELD node, layer, head, degree, entropy, uniformEntropy, ratio, relation
                RETURN id(node) AS node, layer, head, degree, entropy, uniformEntropy, ratio, relation
                """, Map.of("model", model));
    }

    @Test
    void theEntropyPerRelationIsTheStreamedWeightsEntropy() {
        Map<List<Object>, Double> expected = entropyOfStream("typed");
        List<Map<String, Object>> rows = entropyRows("typed");
        Set<Object> relations = rows.stream().map(row -> row.get("relation")).collect(Collectors.toSet());
        assertThat(relations).contains(CITES, "(Author)-[rev_ABOUT]->(Paper)", "(Paper)-[ABOUT]->(Author)");
        int withEdges = 0;
        for (Map<String, Object> row : rows) {
            Double streamed = expected.get(List.of(row.get("layer"), row.get("relation"), row.get("node"),
                    row.get("head")));
            if ((Long) row.get("degree") == 0) {
                assertThat(streamed).isNull();
                assertThat(row.get("entropy")).isNull();
                continue;
            }
            withEdges++;
            assertThat((Double) row.get("entropy")).as("%s", row).isCloseTo(streamed, within(1e-5));
            assertThat((Double) row.get("uniformEntropy")).isCloseTo(Math.log((Long) row.get("degree")),
                    within(1e-12));
        }
        assertThat(withEdges).isEqualTo(expected.size());

        // entropy.write: the chosen relation's entropy, heads averaged, on its target label's nodes.
        Map<String, Object> written = rows("CALL gat.attention.entropy.write('typed', {entropyProperty: 'h', "
                + "relation: $relation})", Map.of("relation", CITES)).get(0);
        assertThat(written.get("layer")).isEqualTo(1L);
        assertThat(written.get("nodeCount")).isEqualTo((long) PaperGraph.PAPERS);
        Map<Object, Object> h = writtenOnNodes("h");
        assertThat(h).hasSize(PaperGraph.PAPERS);
        // Heads averaged: the mean of the per-head entropies of the output layer.
        long outputHeads = rows.stream().filter(row -> row.get("layer").equals(1L)).map(row -> row.get("head"))
                .distinct().count();
        Map<Object, Double> sum = new HashMap<>();
        rows.stream().filter(row -> row.get("layer").equals(1L) && row.get("relation").equals(CITES))
                .forEach(row -> sum.merge(row.get("node"), (Double) row.get("entropy"), Double::sum));
        assertThat(sum.keySet()).isEqualTo(h.keySet());
        sum.forEach((node, total) -> assertThat((Double) h.get(node)).isCloseTo(total / outputHeads, within(1e-6)));
    }

    @Test
    void theHistogramCountsTheNodesOfEachRelation() {
        List<Map<String, Object>> entropy = entropyRows("typed");
        Map<List<Object>, Long> nodesWithEntropy = entropy.stream().filter(row -> row.get("entropy") != null)
                .collect(Collectors.groupingBy(row -> List.of(row.get("layer"), row.get("relation"), row.get("head")),
                        Collectors.counting()));
        List<Map<String, Object>> bins = rows("""
                CALL gat.attention.histogram('typed', {bins: 5})
                YIELD layer, head, bin, lower, upper, nodes, uniformNodes, relation
                RETURN layer, head, relation, sum(nodes) AS nodes, sum(uniformNodes) AS uniform, count(bin) AS bins
                """, Map.of());
        assertThat(bins).hasSize(nodesWithEntropy.size());
        for (Map<String, Object> row : bins) {
            List<Object> key = List.of(row.get("layer"), row.get("relation"), row.get("head"));
            assertThat(row.get("nodes")).as("%s", key).isEqualTo(nodesWithEntropy.get(key));
            assertThat(row.get("uniform")).as("%s", key).isEqualTo(nodesWithEntropy.get(key));
            assertThat(row.get("bins")).isEqualTo(5L);
        }
    }

    @Test
    void neighboursAndExtremesNameTheRelation() {
        Map<List<Object>, Double> streamed = new HashMap<>();
        for (Map<String, Object> row : stream("typed", 1, "mean")) {
            streamed.put(List.of(row.get("relation"), row.get("source"), row.get("target"),
                    String.valueOf(row.get("relationship"))), (Double) row.get("weight"));
        }
        List<Map<String, Object>> neighbours = rows("""
                MATCH (p:Paper)-[:ABOUT]->(:Author) WITH p ORDER BY p.paperId LIMIT 1
                CALL gat.attention.neighbours('typed', p, {k: 100})
                YIELD rank, source, target, relationship, weight, relation
                RETURN rank, id(source) AS source, id(target) AS target, id(relationship) AS relationship, weight,
                       relation ORDER BY rank""", Map.of());
        assertThat(neighbours).extracting(row -> row.get("relation"))
                .contains(CITES, "(Author)-[rev_ABOUT]->(Paper)");
        double previous = Double.MAX_VALUE;
        for (Map<String, Object> row : neighbours) {
            double weight = (Double) row.get("weight");
            assertThat(weight).isLessThanOrEqualTo(previous);
            previous = weight;
            assertThat(weight).isCloseTo(streamed.get(List.of(row.get("relation"), row.get("source"),
                    row.get("target"), String.valueOf(row.get("relationship")))), within(1e-6));
        }
        List<Map<String, Object>> extremes = rows("""
                CALL gat.attention.extremes('typed', {k: 5, order: 'lowest'})
                YIELD rank, source, target, relationship, weight, relation
                RETURN rank, id(source) AS source, id(target) AS target, id(relationship) AS relationship, weight,
                       relation ORDER BY rank""", Map.of());
        assertThat(extremes).hasSize(5);
        List<Double> lowest = streamed.entrySet().stream().filter(e -> !e.getKey().get(3).equals("null"))
                .map(Map.Entry::getValue).sorted().limit(5).toList();
        for (int r = 0; r < 5; r++) {
            Map<String, Object> row = extremes.get(r);
            assertThat(row.get("relationship")).isNotNull();
            assertThat((Double) row.get("weight")).isCloseTo(lowest.get(r), within(1e-6));
            assertThat((Double) row.get("weight")).isCloseTo(streamed.get(List.of(row.get("relation"),
                    row.get("source"), row.get("target"), String.valueOf(row.get("relationship")))), within(1e-6));
        }
    }
}
