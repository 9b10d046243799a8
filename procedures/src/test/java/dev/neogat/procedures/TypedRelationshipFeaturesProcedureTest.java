package dev.neogat.procedures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.QueryExecutionException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * relationshipFeatures with typed models from Cypher, on a generated graph whose class needs a relationship
 * property: each (:Item) is rated by two (:User)s of opposite kinds (the first of a user's 3 features, ±1), one
 * RATES relationship weighing much more than the other, and either SOLD by a (:Shop) or TAGGED by a (:Tag); its
 * class is whether it is sold (the label of a neighbour) and the kind of the user whose rating weighs more (the
 * relationship property). With the weight in attention the typed model reaches 95 % test accuracy from its
 * written predictions; without it, which user counts is a coin toss.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@SuppressWarnings("unchecked")
class TypedRelationshipFeaturesProcedureTest {

    static final int ITEMS = 500;
    static final int USERS = 60;

    @TempDir
    static Path workingDirectory;

    private EmbeddedNeo4j neo4j;
    private GraphDatabaseService db;
    private Map<String, Object> withWeight;
    private Map<String, Object> withoutWeight;

    @BeforeAll
    void createAndTrain() {
        neo4j = new EmbeddedNeo4j(workingDirectory, null);
        db = neo4j.db();
        create(db, 5);
        Map<String, Object> config = config();
        config.put("typed", true);
        config.put("relationshipFeatures", "weight");
        config.put("standardizeRelationshipFeatures", true);
        config.put("writeProperty", "weighted");
        config.put("probabilityProperty", "weightedProbabilities");
        withWeight = train("weighted", config);
        Map<String, Object> plain = config();
        plain.put("writeProperty", "unweighted");
        withoutWeight = train("unweighted", plain);
    }

    @AfterAll
    void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    static Map<String, Object> config() {
        Map<String, Object> config = new HashMap<>();
        config.put("nodeLabels", List.of("Item", "User", "Shop", "Tag"));
        config.put("relationshipTypes", List.of("RATES", "SOLD", "TAGGED", "CITES"));
        config.put("featureProperties", Map.of("Item", "x", "User", "x", "Shop", "x", "Tag", List.of()));
        config.put("labelProperty", "cls");
        config.put("splitProperty", "split");
        config.put("hiddenChannels", 8);
        config.put("heads", 4);
        config.put("learningRate", 0.02);
        // Attention and message dropout at their 0.6 default drop one of an item's two ratings too often to learn
        // which one counts.
        config.put("dropout", 0.2);
        config.put("attentionDropout", 0.2);
        config.put("messageDropout", 0.0);
        // The users' first feature is a sign (+1 / -1); rows scaled to sum 1 would mix it with the other two.
        config.put("normalizeFeatures", false);
        config.put("epochs", 200);
        config.put("patience", 100);
        config.put("seed", 9);
        config.put("concurrency", 1);
        return config;
    }

    /** The graph described above; every relationship has a weight (1.0 on those whose weight means nothing). */
    static void create(GraphDatabaseService db, long seed) {
        Random random = new Random(seed);
        List<Map<String, Object>> users = new ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            users.add(Map.of("id", u, "x", new double[]{u % 2 == 0 ? 1 : -1, random.nextDouble(),
                    random.nextDouble()}));
        }
        db.executeTransactionally("UNWIND $rows AS row CREATE (:User {userId: row.id, x: row.x})",
                Map.of("rows", users));
        List<Map<String, Object>> shops = new ArrayList<>();
        for (int s = 0; s < 10; s++) {
            shops.add(Map.of("id", s, "x", new double[]{random.nextDouble(), random.nextDouble(), random.nextDouble(),
                    random.nextDouble(), random.nextDouble()}));
        }
        db.executeTransactionally("UNWIND $rows AS row CREATE (:Shop {shopId: row.id, x: row.x})",
                Map.of("rows", shops));
        db.executeTransactionally("UNWIND range(0, 4) AS i CREATE (:Tag {tagId: i})", Map.of());
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < ITEMS; i++) {
            boolean sold = random.nextBoolean();
            boolean upWeighsMore = random.nextBoolean();
            double high = 0.6 + 0.4 * random.nextDouble();
            double low = 0.4 * random.nextDouble();
            Map<String, Object> item = new HashMap<>();
            item.put("id", i);
            item.put("x", new double[]{random.nextDouble(), random.nextDouble(), random.nextDouble(),
                    random.nextDouble(), random.nextDouble(), random.nextDouble()});
            item.put("cls", (sold ? "sold" : "tagged") + (upWeighsMore ? "+" : "-"));
            item.put("split", i % 5 < 3 ? "train" : i % 5 == 3 ? "val" : "test");
            item.put("sold", sold);
            item.put("by", sold ? random.nextInt(10) : random.nextInt(5));
            item.put("up", 2 * random.nextInt(USERS / 2));
            item.put("down", 2 * random.nextInt(USERS / 2) + 1);
            item.put("upWeight", upWeighsMore ? high : low);
            item.put("downWeight", upWeighsMore ? low : high);
            item.put("cites", List.of(random.nextInt(ITEMS), random.nextInt(ITEMS)));
            items.add(item);
        }
        db.executeTransactionally("""
                UNWIND $items AS row
                CREATE (i:Item {itemId: row.id, x: row.x, cls: row.cls, split: row.split})
                WITH i, row
                MATCH (up:User {userId: row.up}), (down:User {userId: row.down})
                CREATE (up)-[:RATES {weight: row.upWeight}]->(i), (down)-[:RATES {weight: row.downWeight}]->(i)
                """, Map.of("items", items));
        db.executeTransactionally("""
                UNWIND $items AS row
                MATCH (i:Item {itemId: row.id})
                CALL {
                    WITH i, row WITH i, row WHERE row.sold
                    MATCH (s:Shop {shopId: row.by}) CREATE (s)-[:SOLD {weight: 1.0}]->(i)
                }
                CALL {
                    WITH i, row WITH i, row WHERE NOT row.sold
                    MATCH (t:Tag {tagId: row.by}) CREATE (t)-[:TAGGED {weight: 1.0}]->(i)
                }
                UNWIND row.cites AS cited
                MATCH (j:Item {itemId: cited}) WHERE j <> i
                CREATE (i)-[:CITES {weight: 1.0}]->(j)
                """, Map.of("items", items));
    }

    private Map<String, Object> train(String name, Map<String, Object> config) {
        return db.executeTransactionally("CALL gat.train($name, $config)", Map.of("name", name, "config", config),
                result -> result.next());
    }

    private double writtenTestAccuracy(String property) {
        return db.executeTransactionally("MATCH (i:Item {split: 'test'}) RETURN avg(CASE WHEN i[$property] = i.cls "
                + "THEN 1.0 ELSE 0.0 END) AS accuracy", Map.of("property", property),
                result -> ((Number) result.next().get("accuracy")).doubleValue());
    }

    @Test
    @Order(1)
    void theWeightInAttentionDecidesWhichRatingCounts() {
        assertThat(withWeight.get("mode")).isEqualTo("typed");
        double weighted = writtenTestAccuracy("weighted");
        double unweighted = writtenTestAccuracy("unweighted");
        System.out.printf("typed test accuracy from the written predictions: with the weight %.4f, without %.4f%n",
                weighted, unweighted);
        assertThat(weighted).isGreaterThanOrEqualTo(0.95);
        assertThat(unweighted).isLessThan(weighted - 0.2);
        Map<String, Object> configuration = (Map<String, Object>) withWeight.get("configuration");
        assertThat(configuration).containsEntry("relationshipFeatures", List.of("weight"));
    }

    @Test
    @Order(2)
    void theStoredModelPredictsTheSameAfterARestartAndReadsTheWeights() {
        neo4j.restart();
        db = neo4j.db();
        List<Map<String, Object>> rows = db.executeTransactionally("""
                CALL gat.predict.stream('weighted', {includeProbabilities: true})
                YIELD node, predictedClass, probabilities
                RETURN node.weighted AS written, predictedClass, probabilities, node.weightedProbabilities AS stored
                """, Map.of(), result -> result.stream().toList());
        assertThat(rows).hasSize(ITEMS);
        for (Map<String, Object> row : rows) {
            assertThat(row.get("predictedClass")).isEqualTo(row.get("written"));
            List<Double> probabilities = (List<Double>) row.get("probabilities");
            double[] stored = (double[]) row.get("stored");
            for (int k = 0; k < stored.length; k++) {
                assertThat(probabilities.get(k)).isCloseTo(stored[k], org.assertj.core.data.Offset.offset(1e-5));
            }
        }
        // Swapped weights (1 - weight) make the other rating count: prediction reads the property given now.
        db.executeTransactionally("MATCH ()-[r:RATES]->() SET r.swapped = 1 - r.weight", Map.of());
        long changed = db.executeTransactionally("""
                CALL gat.predict.stream('weighted', {relationshipFeatures: {RATES: 'swapped', SOLD: 'weight',
                    TAGGED: 'weight', CITES: 'weight'}}) YIELD node, predictedClass
                WHERE predictedClass <> node.weighted RETURN count(*) AS n
                """, Map.of(), result -> (Long) result.next().get("n"));
        assertThat(changed).isGreaterThan(ITEMS / 2);
    }

    @Test
    @Order(3)
    void theAttentionStreamReadsTheWeightsGivenNow() {
        String query = """
                CALL gat.attention.stream('weighted', {attentionLayer: 0, relationshipFeatures: $features})
                YIELD target, relationship, weight, relation
                RETURN relation, id(target) AS target, id(relationship) AS relationship, weight
                """;
        Map<String, Object> given = Map.of("RATES", "weight", "SOLD", "weight", "TAGGED", "weight", "CITES",
                "weight");
        Map<String, Object> swapped = new HashMap<>(given);
        swapped.put("RATES", "swapped");
        Map<List<Object>, Double> weights = new HashMap<>();
        Map<List<Object>, Double> sums = new HashMap<>();
        for (Map<String, Object> row : db.executeTransactionally(query, Map.of("features", given),
                result -> result.stream().toList())) {
            weights.put(List.of(row.get("relation"), String.valueOf(row.get("relationship")), row.get("target")),
                    (Double) row.get("weight"));
            sums.merge(List.of(row.get("relation"), row.get("target")), (Double) row.get("weight"), Double::sum);
        }
        assertThat(sums.values()).allSatisfy(sum -> assertThat(sum).isCloseTo(1.0,
                org.assertj.core.data.Offset.offset(1e-4)));
        long changedRatings = 0;
        for (Map<String, Object> row : db.executeTransactionally(query, Map.of("features", swapped),
                result -> result.stream().toList())) {
            Double before = weights.get(List.of(row.get("relation"), String.valueOf(row.get("relationship")),
                    row.get("target")));
            assertThat(before).as("the same edges").isNotNull();
            if (((String) row.get("relation")).contains("RATES") && Math.abs(before - (Double) row.get("weight"))
                    > 1e-3) {
                changedRatings++;
            }
        }
        assertThat(changedRatings).isGreaterThan(0);
    }

    @Test
    @Order(4)
    void badRelationshipFeaturesNameTheRelationshipAndWriteNothing() {
        db.executeTransactionally("MATCH (:Shop)-[r:SOLD]->() WITH r LIMIT 1 SET r.label = 'heavy'", Map.of());
        db.executeTransactionally("MATCH (:Tag)-[r:TAGGED]->() WITH r LIMIT 1 REMOVE r.weight", Map.of());
        Map<String, Object> missing = config();
        missing.put("typed", true);
        missing.put("relationshipFeatures", "weight");
        missing.put("writeProperty", "missingRun");
        assertThatThrownBy(() -> train("missing", missing)).isInstanceOf(QueryExecutionException.class)
                .hasMessageContaining("lacks the property 'weight'").hasMessageContaining("of type 'TAGGED'")
                .hasMessageContaining("missingRelationshipFeatures: 'zero'");
        Map<String, Object> text = config();
        text.put("relationshipFeatures", Map.of("RATES", "weight", "SOLD", "label", "TAGGED", "weight", "CITES",
                "weight"));
        text.put("typed", true);
        text.put("missingRelationshipFeatures", "zero");
        text.put("writeProperty", "textRun");
        assertThatThrownBy(() -> train("text", text)).isInstanceOf(QueryExecutionException.class)
                .hasMessageContaining("'label'").hasMessageContaining("type 'SOLD'")
                .hasMessageContaining("numbers or arrays of numbers");
        long written = db.executeTransactionally("MATCH (i:Item) WHERE i.missingRun IS NOT NULL OR i.textRun IS NOT "
                + "NULL RETURN count(i) AS n", Map.of(), result -> (Long) result.next().get("n"));
        assertThat(written).isZero();
        List<String> models = db.executeTransactionally("CALL gat.model.list() YIELD name RETURN collect(name) AS "
                + "names", Map.of(), result -> (List<String>) result.next().get("names"));
        assertThat(models).doesNotContain("missing", "text");
        Map<String, Object> zero = config();
        zero.put("typed", true);
        zero.put("relationshipFeatures", "weight");
        zero.put("missingRelationshipFeatures", "zero");
        zero.put("epochs", 2);
        assertThat(train("zeroFilled", zero).get("mode")).isEqualTo("typed");
        assertThatThrownBy(() -> db.executeTransactionally("CALL gat.predict.stream('unweighted', "
                + "{relationshipFeatures: 'weight'}) YIELD node RETURN count(node)", Map.of(), r -> r.next()))
                .hasMessageContaining("trained without relationship features");
    }
}
