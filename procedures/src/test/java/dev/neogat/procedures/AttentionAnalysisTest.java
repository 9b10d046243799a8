package dev.neogat.procedures;

import dev.neogat.model.ModelMetadata;
import dev.neogat.spec.GatConfig;
import dev.neogat.model.ModelFile;
import dev.neogat.model.TrainedModel;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.Weights;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.harness.Neo4j;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The attention analysis procedures on a model whose attention is known by hand. One GAT layer, one head,
 * feature x: z = [x, 0], a_src = [1, 0], a_dst = 0, so the score of edge j→i is LeakyReLU(x_j) = x_j for
 * positive x, and attention into a node is the softmax of its sources' x. Sources with x = 10 + ln k,
 * k = 1..4, into the centre give weights k/10: 0.1, 0.2, 0.3, 0.4 (no self loops).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AttentionAnalysisTest {

    @TempDir
    static Path dir;

    private Neo4j neo4j;
    private GraphDatabaseService db;

    @BeforeAll
    void createGraphAndModel() throws Exception {
        neo4j = Harness.start(dir, null);
        db = Harness.db(neo4j);
        db.executeTransactionally("""
                CREATE (centre:Hand {name: 'centre', x: 10.0, y: 0})
                WITH centre
                UNWIND range(1, 4) AS k
                CREATE (:Hand {name: 'n' + k, x: 10.0 + log(k), y: k % 2})-[:TO {k: k}]->(centre)""");
        db.executeTransactionally("""
                MATCH (n1:Hand {name: 'n1'})
                CREATE (lonely:Hand {name: 'lonely', x: 10.0, y: 1})<-[:TO {k: 0}]-(n1)""");
        GatConfig config = GatConfig.builder(1, 2).layers(1).outputHeads(1).dropout(0).normalizeFeatures(false).build();
        Map<String, DenseMatrix> tensors = new LinkedHashMap<>();
        tensors.put("layers.0.weight", new DenseMatrix(1, 2, new float[]{1, 0}));
        tensors.put("layers.0.att_src", new DenseMatrix(1, 2, new float[]{1, 0}));
        tensors.put("layers.0.att_dst", new DenseMatrix(1, 2, new float[]{0, 0}));
        tensors.put("layers.0.bias", new DenseMatrix(1, 2, new float[]{0, 0}));
        ModelMetadata metadata = ModelMetadata.NONE.withTrainedOn("by hand", List.of(0L, 1L), "y",
                new ModelMetadata.Projection(List.of("Hand"), List.of("TO"), "NATURAL", false, false, List.of("x"),
                        "error"), 6, 0, null, null, "accuracy", null, null, null);
        Path catalog = neo4j.config().get(GraphDatabaseSettings.data_directory).resolve("gat-models/neo4j");
        java.nio.file.Files.createDirectories(catalog);
        ModelFile.write(new TrainedModel(config, new Weights(tensors), metadata), catalog.resolve("hand.gatm"));
    }

    @AfterAll
    void stop() {
        neo4j.close();
    }

    private List<Map<String, Object>> rows(String query) {
        return db.executeTransactionally(query, Map.of(), r -> {
            List<Map<String, Object>> out = new java.util.ArrayList<>();
            r.forEachRemaining(out::add);
            return out;
        });
    }

    @Test
    void attentionIntoTheCentreIsWhatTheWeightsSay() {
        List<Map<String, Object>> rows = rows("""
                CALL gat.attention.stream('hand') YIELD source, target, relationship, weight
                WHERE target.name = 'centre' RETURN relationship.k AS k, weight ORDER BY k""");
        assertThat(rows).hasSize(4);
        for (Map<String, Object> row : rows) {
            assertThat((Double) row.get("weight")).isCloseTo(((Long) row.get("k")) / 10.0, within(1e-6));
        }
    }

    @Test
    void entropyOfTheCentreAgainstUniform() {
        double expected = -(0.1 * Math.log(0.1) + 0.2 * Math.log(0.2) + 0.3 * Math.log(0.3) + 0.4 * Math.log(0.4));
        Map<String, Object> centre = rows("""
                CALL gat.attention.entropy.stream('hand') YIELD node, layer, head, degree, entropy, uniformEntropy, ratio
                WHERE node.name = 'centre' RETURN *""").get(0);
        assertThat(centre.get("degree")).isEqualTo(4L);
        assertThat(centre.get("layer")).isEqualTo(0L);
        assertThat(centre.get("head")).isEqualTo(0L);
        assertThat((Double) centre.get("entropy")).isCloseTo(expected, within(1e-6));
        assertThat((Double) centre.get("uniformEntropy")).isCloseTo(Math.log(4), within(1e-12));
        assertThat((Double) centre.get("ratio")).isCloseTo(expected / Math.log(4), within(1e-6));

        Map<String, Object> lonely = rows("""
                CALL gat.attention.entropy.stream('hand') YIELD node, degree, entropy, ratio
                WHERE node.name = 'lonely' RETURN *""").get(0);
        assertThat(lonely.get("degree")).isEqualTo(1L);
        assertThat((Double) lonely.get("entropy")).isZero();
        assertThat(lonely.get("ratio")).as("one incoming edge has no ratio").isNull();

        Map<String, Object> written = rows("CALL gat.attention.entropy.write('hand', {entropyProperty: 'h'})").get(0);
        assertThat(written.get("propertiesWritten")).as("entropy and uniform for 2 nodes, ratio for 1").isEqualTo(5L);
        Map<String, Object> properties = rows("MATCH (c:Hand {name: 'centre'}) RETURN c.h AS h, c.hUniform AS u, "
                + "c.hRatio AS r").get(0);
        assertThat((Double) properties.get("h")).isCloseTo(expected, within(1e-6));
        assertThat((Double) properties.get("u")).isCloseTo(Math.log(4), within(1e-12));
        assertThat((Double) properties.get("r")).isCloseTo(expected / Math.log(4), within(1e-6));
    }

    @Test
    void histogramAgainstUniform() {
        List<Map<String, Object>> bins = rows("""
                CALL gat.attention.histogram('hand', {binBoundaries: [0.0, 0.5, 1.3, 1.4]})
                YIELD bin, lower, upper, nodes, uniformNodes RETURN * ORDER BY bin""");
        assertThat(bins).hasSize(3);
        // Attention entropies: lonely 0 (bin 0), centre 1.2799 (bin 1); uniform: lonely 0 (bin 0), centre ln 4 = 1.386 (bin 2).
        assertThat(bins).extracting(b -> b.get("nodes")).containsExactly(1L, 1L, 0L);
        assertThat(bins).extracting(b -> b.get("uniformNodes")).containsExactly(1L, 0L, 1L);
        List<Map<String, Object>> equalBins = rows("CALL gat.attention.histogram('hand', {bins: 4}) YIELD upper "
                + "RETURN max(upper) AS top");
        assertThat((Double) equalBins.get(0).get("top")).isCloseTo(Math.log(4), within(1e-12));
    }

    @Test
    void topNeighboursOfTheCentre() {
        List<Map<String, Object>> top = rows("""
                MATCH (centre:Hand {name: 'centre'})
                CALL gat.attention.neighbours('hand', centre, {k: 2}) YIELD rank, source, relationship, weight
                RETURN rank, source.name AS source, relationship.k AS k, weight ORDER BY rank""");
        assertThat(top).extracting(r -> r.get("source")).containsExactly("n4", "n3");
        assertThat((Double) top.get(0).get("weight")).isCloseTo(0.4, within(1e-6));
        assertThat(top.get(1).get("k")).isEqualTo(3L);
    }

    @Test
    void extremeEdgesOfTheGraph() {
        List<Map<String, Object>> highest = rows("""
                CALL gat.attention.extremes('hand', {k: 2}) YIELD rank, source, target, weight
                RETURN source.name AS source, target.name AS target, weight ORDER BY rank""");
        assertThat(highest).extracting(r -> r.get("source") + ">" + r.get("target")).containsExactly("n1>lonely", "n4>centre");
        assertThat((Double) highest.get(0).get("weight")).isCloseTo(1.0, within(1e-6));
        List<Map<String, Object>> lowest = rows("""
                CALL gat.attention.extremes('hand', {k: 1, order: 'lowest'}) YIELD source, weight
                RETURN source.name AS source, weight""");
        assertThat(lowest.get(0).get("source")).isEqualTo("n1");
        assertThat((Double) lowest.get(0).get("weight")).isCloseTo(0.1, within(1e-6));
    }

    @Test
    void anUntypedModelNamesNoRelation() {
        for (String call : List.of("CALL gat.attention.entropy.stream('hand') YIELD relation RETURN relation",
                "CALL gat.attention.histogram('hand', {bins: 2}) YIELD relation RETURN relation",
                "MATCH (c:Hand {name: 'centre'}) CALL gat.attention.neighbours('hand', c) YIELD relation "
                        + "RETURN relation",
                "CALL gat.attention.extremes('hand') YIELD relation RETURN relation")) {
            List<Map<String, Object>> rows = rows(call);
            assertThat(rows).as(call).isNotEmpty();
            assertThat(rows).as(call).allSatisfy(row -> assertThat(row.get("relation")).isNull());
        }
        assertThatThrownBy(() -> rows("CALL gat.attention.entropy.write('hand', {entropyProperty: 'byRelation', "
                + "relation: '(Hand)-[LINK]->(Hand)'})")).rootCause().hasMessage("Configuration 'relation' names a "
                + "relation of a typed model, but the model 'hand' is untyped; leave 'relation' out");
        assertThat(rows("MATCH (n) WHERE n.byRelation IS NOT NULL RETURN n")).isEmpty();
    }
}
