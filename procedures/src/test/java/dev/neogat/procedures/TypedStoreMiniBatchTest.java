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
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;
import static dev.neogat.procedures.SmallGraph.with;
import static dev.neogat.procedures.TypedProcedureTest.typedConfig;

/**
 * Typed training whose batches are read from the store, from Cypher, on {@link PaperGraph} with the typed settings
 * of {@link TypedProcedureTest#typedConfig(Object...)}: a memoryBudget below what typed mini-batch training needs
 * with the projection in the heap (but above what it needs from the store) makes gat.train read each batch's typed
 * neighbourhoods and features from the store, and the run equals the in-heap typed mini-batch run of the same seed
 * (same draws: losses, metrics and written probabilities), with sampled fanouts and with every neighbour in one
 * batch; it learns the graph's signal; gat.train.estimate reports the store-backed requirement and 'auto' picks it
 * when neither in-heap mode fits; relationship features (on {@link TypedRelationshipFeaturesProcedureTest}'s graph,
 * created beside the papers) are read from the store as the in-heap run reads them, a missing value refused alike; a
 * budget even the store cannot hold, semantic attention and attention properties are refused before anything is
 * stored or written; TERMINATE TRANSACTION stops it within a second, with progress per batch.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@SuppressWarnings("unchecked")
class TypedStoreMiniBatchTest {

    @TempDir
    static Path workingDirectory;

    private EmbeddedNeo4j neo4j;
    private GraphDatabaseService db;

    @BeforeAll
    void create() {
        neo4j = new EmbeddedNeo4j(workingDirectory, null);
        db = neo4j.db();
        PaperGraph.create(db, 31);
        // Items rated, sold, tagged and cited over weighted relationships; labels of their own beside the papers'.
        TypedRelationshipFeaturesProcedureTest.create(db, 5);
    }

    @AfterAll
    void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    private Map<String, Object> train(String name, Map<String, Object> config) {
        return db.executeTransactionally("CALL gat.train($name, $config)", Map.of("name", name, "config", config),
                result -> result.next());
    }

    private Map<String, Object> estimate(Map<String, Object> config) {
        return db.executeTransactionally("CALL gat.train.estimate($config)", Map.of("config", config),
                result -> result.next());
    }

    /**
     * A budget the store-backed run fits in but typed mini-batch training with the projection in the heap does not
     * (nor, for 'auto', typed full-batch training).
     */
    private long storeOnlyBudget(Map<String, Object> config) {
        Map<String, Object> sized = estimate(config);
        long store = (Long) sized.get("storeBatchBytes");
        long inHeap = (Long) sized.get("miniBatchBytes");
        if (!"miniBatch".equals(config.get("mode"))) {
            inHeap = Math.min(inHeap, (Long) sized.get("fullBatchBytes"));
        }
        assertThat(store).as("store-backed estimate %s below in-heap %s", store, inHeap).isPositive()
                .isLessThan(inHeap);
        return (store + inHeap) / 2;
    }

    private Map<Long, List<Double>> writtenProbabilities(String property) {
        return writtenProbabilities("Paper", property);
    }

    private Map<Long, List<Double>> writtenProbabilities(String label, String property) {
        Map<Long, List<Double>> out = new HashMap<>();
        db.executeTransactionally("MATCH (p:" + label + ") RETURN id(p) AS id, p[$property] AS probabilities",
                Map.of("property", property), result -> {
                    result.forEachRemaining(row -> out.put((Long) row.get("id"), java.util.Arrays.stream(
                            (double[]) row.get("probabilities")).boxed().toList()));
                    return null;
                });
        return out;
    }

    private double writtenTestAccuracy(String property) {
        return db.executeTransactionally("MATCH (p:Paper {split: 'test'}) RETURN avg(CASE WHEN p[$property] = p.kind "
                + "THEN 1.0 ELSE 0.0 END) AS accuracy", Map.of("property", property),
                result -> ((Number) result.next().get("accuracy")).doubleValue());
    }

    private List<Double> losses(String model) {
        List<Map<String, Object>> history = db.executeTransactionally("CALL gat.model.info($name) YIELD history "
                + "RETURN history", Map.of("name", model), r -> (List<Map<String, Object>>) r.next().get("history"));
        return history.stream()
                .map(epoch -> ((Number) epoch.get("loss")).doubleValue()).toList();
    }

    private void assertSameRun(String heapModel, Map<String, Object> heap, String storeModel,
                               Map<String, Object> store, String heapProperty, String storeProperty) {
        assertSameRun(heapModel, heap, storeModel, store, heapProperty, storeProperty, "Paper", PaperGraph.PAPERS);
    }

    private void assertSameRun(String heapModel, Map<String, Object> heap, String storeModel,
                               Map<String, Object> store, String heapProperty, String storeProperty, String label,
                               int nodes) {
        assertThat((String) store.get("modeReason")).contains("the projection stays in the store");
        assertThat((String) heap.get("modeReason")).doesNotContain("stays in the store");
        List<Double> heapLosses = losses(heapModel);
        List<Double> storeLosses = losses(storeModel);
        assertThat(storeLosses).hasSameSizeAs(heapLosses);
        for (int e = 0; e < heapLosses.size(); e++) {
            assertThat(storeLosses.get(e)).as("loss of epoch %d", e + 1).isCloseTo(heapLosses.get(e), offset(1e-6));
        }
        assertThat((Double) store.get("finalLoss")).isCloseTo((Double) heap.get("finalLoss"), offset(1e-6));
        assertThat((Double) store.get("testAccuracy")).isEqualTo((Double) heap.get("testAccuracy"));
        assertThat((Double) store.get("validationAccuracy")).isEqualTo((Double) heap.get("validationAccuracy"));
        Map<Long, List<Double>> a = writtenProbabilities(label, heapProperty);
        Map<Long, List<Double>> b = writtenProbabilities(label, storeProperty);
        assertThat(b.keySet()).isEqualTo(a.keySet()).hasSize(nodes);
        a.forEach((id, probabilities) -> {
            for (int c = 0; c < probabilities.size(); c++) {
                assertThat(b.get(id).get(c)).as("paper %d, class %d", id, c)
                        .isCloseTo(probabilities.get(c), offset(1e-6));
            }
        });
    }

    @Test
    void aTinyBudgetReadsSampledBatchesFromTheStoreWithTheInHeapRunsDraws() {
        Object[] run = {"mode", "miniBatch", "batchSize", 32, "fanouts", List.of(4, 3), "epochs", 6,
                "attentionDropout", 0.1};
        long budget = storeOnlyBudget(typedConfig(run));
        Map<String, Object> heap = train("sampledHeap", with(typedConfig(run), "probabilityProperty", "sampledHeapP"));
        Map<String, Object> store = train("sampledStore", with(typedConfig(run),
                "memoryBudget", budget, "probabilityProperty", "sampledStoreP", "concurrency", 2));
        System.out.printf("in heap: %s%nfrom the store: %s%n", heap, store);
        assertSameRun("sampledHeap", heap, "sampledStore", store, "sampledHeapP", "sampledStoreP");
    }

    /**
     * Read along and against the stored direction the slots are listed as the loader lists them too: incoming ones
     * by source, a node's own outgoing ones in the order of its relationships.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"NATURAL", "REVERSE"})
    void eachOrientationDrawsTheInHeapRunsBatchesFromTheStore(String orientation) {
        Object[] run = {"mode", "miniBatch", "batchSize", 24, "fanouts", List.of(2, 2), "epochs", 3,
                "orientation", orientation, "attentionDropout", 0.2};
        long budget = storeOnlyBudget(typedConfig(run));
        String heapP = "heapP" + orientation;
        String storeP = "storeP" + orientation;
        Map<String, Object> heap = train("heap" + orientation, with(typedConfig(run), "probabilityProperty", heapP));
        Map<String, Object> store = train("store" + orientation, with(typedConfig(run),
                "memoryBudget", budget, "probabilityProperty", storeP, "concurrency", 2));
        assertSameRun("heap" + orientation, heap, "store" + orientation, store, heapP, storeP);
    }

    /** A label without features (Topic) learns its input per label or per node, read from the store as in the heap. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"label", "node"})
    void aLabelWithoutFeaturesTrainsFromTheStoreAsInTheHeap(String featurelessNodes) {
        Map<String, Object> features = new HashMap<>(Map.of("Paper", "text", "Author", "profile", "Venue",
                "embedding"));
        features.put("Topic", null);
        Object[] run = {"mode", "miniBatch", "batchSize", 40, "fanouts", List.of(3, 2), "epochs", 3,
                "nodeLabels", List.of("Paper", "Author", "Venue", "Topic"), "featureProperties", features,
                "featurelessNodes", featurelessNodes, "featurelessDimension", 8};
        long budget = storeOnlyBudget(typedConfig(run));
        String heapP = "featurelessHeapP" + featurelessNodes;
        String storeP = "featurelessStoreP" + featurelessNodes;
        Map<String, Object> heap = train("featurelessHeap" + featurelessNodes, with(typedConfig(run),
                "probabilityProperty", heapP));
        Map<String, Object> store = train("featurelessStore" + featurelessNodes, with(typedConfig(run),
                "memoryBudget", budget, "probabilityProperty", storeP, "concurrency", 2));
        assertThat((String) store.get("modeReason")).contains("node types [Paper, Author, Venue, Topic]");
        assertSameRun("featurelessHeap" + featurelessNodes, heap, "featurelessStore" + featurelessNodes, store, heapP,
                storeP);
    }

    @Test
    void everyNeighbourInOneBatchFromTheStoreEqualsTheInHeapRun() {
        Object[] run = {"mode", "miniBatch", "batchSize", 100_000, "fanouts", List.of(-1, -1), "epochs", 3};
        long budget = storeOnlyBudget(typedConfig(run));
        Map<String, Object> heap = train("oneBatchHeap", with(typedConfig(run), "probabilityProperty", "oneHeapP"));
        Map<String, Object> store = train("oneBatchStore", with(typedConfig(run),
                "memoryBudget", budget, "probabilityProperty", "oneStoreP"));
        assertSameRun("oneBatchHeap", heap, "oneBatchStore", store, "oneHeapP", "oneStoreP");
    }

    @Test
    void batchesFromTheStoreLearnTheSignal() {
        Object[] run = {"mode", "miniBatch", "batchSize", 32, "fanouts", List.of(5, 5), "epochs", 60};
        long budget = storeOnlyBudget(typedConfig(run));
        Map<String, Object> row = train("learnsFromStore", with(typedConfig(run),
                "memoryBudget", budget, "writeProperty", "storeKind"));
        assertThat((String) row.get("modeReason")).contains("mode 'miniBatch' was asked for",
                "the projection stays in the store");
        double accuracy = writtenTestAccuracy("storeKind");
        System.out.printf("typed from the store: test accuracy from the written predictions %.4f (%s)%n", accuracy,
                row);
        assertThat(accuracy).isGreaterThanOrEqualTo(0.8);
        assertThat((Double) row.get("testAccuracy")).isCloseTo(accuracy, offset(1e-9));
    }

    @Test
    void autoReadsFromTheStoreWhenNeitherInHeapModeFitsAndTheEstimateSaysSo() {
        // Wide layers: full-batch training's activations and gradients over every node outweigh the batches.
        Object[] run = {"batchSize", 8, "fanouts", List.of(2, 2), "epochs", 2, "heads", 8, "hiddenChannels", 32};
        Map<String, Object> sized = estimate(typedConfig(run));
        long store = (Long) sized.get("storeBatchBytes");
        long budget = storeOnlyBudget(typedConfig(run));
        Map<String, Object> tight = estimate(with(typedConfig(run), "memoryBudget", budget));
        assertThat((String) tight.get("modeReason")).contains("miniBatch: auto: typed full-batch training needs about",
                "also more; so the projection stays in the store");
        assertThat(tight.get("requiredBytes")).isEqualTo(store);
        Map<String, Object> row = train("autoFromStore", with(typedConfig(run), "memoryBudget", budget));
        assertThat((String) row.get("modeReason")).contains("auto: typed full-batch training needs about",
                "the projection stays in the store");
    }

    @Test
    void aBudgetEvenTheStoreCannotHoldIsRefusedBeforeAnythingIsWritten() {
        Object[] run = {"batchSize", 16, "fanouts", List.of(3, 3), "epochs", 2};
        long tooSmall = (Long) estimate(typedConfig(run)).get("storeBatchBytes") / 2;
        assertThatThrownBy(() -> train("tooSmallForStore", with(typedConfig(run),
                "memoryBudget", tooSmall, "writeProperty", "tooSmallKind")))
                .hasMessageContaining("Typed mini-batch training that reads its batches from the store needs about")
                .hasMessageContaining("more than the memory budget");
        assertNothingFrom("tooSmallForStore", "tooSmallKind");
    }

    /** The weighted items' typed settings, sampled in mini-batches, with a standardised weight in attention. */
    private static Map<String, Object> weightedConfig(String orientation) {
        Map<String, Object> config = TypedRelationshipFeaturesProcedureTest.config();
        config.put("typed", true);
        config.put("relationshipFeatures", "weight");
        config.put("standardizeRelationshipFeatures", true);
        config.put("orientation", orientation);
        config.put("mode", "miniBatch");
        config.put("batchSize", 64);
        config.put("fanouts", List.of(3, 2));
        config.put("epochs", 4);
        return config;
    }

    /**
     * Relationship features from the store: each batch reads its sampled relationships' weights, a self loop within
     * Item (CITES) carries the mean of its node's incoming CITES weights over the whole graph, a relation UNDIRECTED
     * adds reads the weights of the relationships it reverses; losses, metrics, written probabilities and the
     * standardisation statistics stored with the model equal the in-heap run's.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"NATURAL", "UNDIRECTED"})
    void relationshipFeaturesFromTheStoreEqualTheInHeapRun(String orientation) {
        long budget = storeOnlyBudget(weightedConfig(orientation));
        String heapP = "weightedHeapP" + orientation;
        String storeP = "weightedStoreP" + orientation;
        Map<String, Object> heap = train("weightedHeap" + orientation, with(weightedConfig(orientation),
                "probabilityProperty", heapP));
        Map<String, Object> store = train("weightedStore" + orientation, with(weightedConfig(orientation),
                "memoryBudget", budget, "probabilityProperty", storeP, "concurrency", 2));
        System.out.printf("weighted in heap: %s%nweighted from the store: %s%n", heap, store);
        assertSameRun("weightedHeap" + orientation, heap, "weightedStore" + orientation, store, heapP, storeP, "Item",
                TypedRelationshipFeaturesProcedureTest.ITEMS);
        assertSameNumbers(projection("weightedStore" + orientation), projection("weightedHeap" + orientation),
                "projection");
    }

    /** A relationship without the weight is refused from the store as in the heap, or read as zero when asked. */
    @Test
    void aMissingRelationshipFeatureIsRefusedFromTheStoreAsInTheHeap() {
        long removed = db.executeTransactionally("MATCH (:Tag)-[r:TAGGED]->() WITH r ORDER BY id(r) LIMIT 1 "
                + "REMOVE r.weight RETURN id(r) AS id", Map.of(), result -> (Long) result.next().get("id"));
        try {
            long budget = storeOnlyBudget(weightedConfig("NATURAL"));
            Throwable inHeap = org.assertj.core.api.Assertions.catchThrowable(() -> train("missingHeap",
                    with(weightedConfig("NATURAL"), "writeProperty", "missingHeapKind")));
            Throwable fromStore = org.assertj.core.api.Assertions.catchThrowable(() -> train("missingStore",
                    with(weightedConfig("NATURAL"), "memoryBudget", budget, "writeProperty", "missingStoreKind")));
            assertThat(inHeap).hasMessageContaining("lacks the property 'weight'")
                    .hasMessageContaining("of type 'TAGGED'").hasMessageContaining("missingRelationshipFeatures: 'zero'");
            assertThat(fromStore).hasMessage(inHeap.getMessage());
            assertNothingFrom("missingStore", "missingStoreKind", "Item");
            Map<String, Object> heap = train("zeroHeap", with(weightedConfig("NATURAL"),
                    "missingRelationshipFeatures", "zero", "probabilityProperty", "zeroHeapP"));
            Map<String, Object> store = train("zeroStore", with(weightedConfig("NATURAL"),
                    "missingRelationshipFeatures", "zero", "memoryBudget", budget, "probabilityProperty",
                    "zeroStoreP"));
            assertSameRun("zeroHeap", heap, "zeroStore", store, "zeroHeapP", "zeroStoreP", "Item",
                    TypedRelationshipFeaturesProcedureTest.ITEMS);
        } finally {
            db.executeTransactionally("MATCH ()-[r]->() WHERE id(r) = $id SET r.weight = 1.0", Map.of("id", removed));
        }
    }

    private Map<String, Object> projection(String model) {
        return db.executeTransactionally("CALL gat.model.info($name) YIELD projection RETURN projection",
                Map.of("name", model), result -> (Map<String, Object>) result.next().get("projection"));
    }

    /** Equal structure, numbers within 1e-9 (the statistics' sums run in another order). */
    private static void assertSameNumbers(Object actual, Object expected, String where) {
        if (expected instanceof Number e) {
            assertThat(actual).as(where).isInstanceOf(Number.class);
            assertThat(((Number) actual).doubleValue()).as(where).isCloseTo(e.doubleValue(), offset(1e-9));
        } else if (expected instanceof Map<?, ?> e) {
            assertThat(actual).as(where).isInstanceOf(Map.class);
            assertThat(((Map<?, ?>) actual).keySet()).as(where).isEqualTo(e.keySet());
            e.forEach((key, value) -> assertSameNumbers(((Map<?, ?>) actual).get(key), value, where + "." + key));
        } else if (expected instanceof List<?> e) {
            assertThat(actual).as(where).isInstanceOf(List.class);
            assertThat((List<?>) actual).as(where).hasSameSizeAs(e);
            for (int i = 0; i < e.size(); i++) {
                assertSameNumbers(((List<?>) actual).get(i), e.get(i), where + "[" + i + "]");
            }
        } else {
            assertThat(actual).as(where).isEqualTo(expected);
        }
    }

    @Test
    void whatBatchesFromTheStoreCannotTrainIsRefused() {
        Object[] run = {"mode", "miniBatch", "batchSize", 16, "fanouts", List.of(3, 3), "epochs", 2};
        long budget = storeOnlyBudget(typedConfig(run));
        assertThatThrownBy(() -> train("storeSemantic", with(typedConfig(run),
                "memoryBudget", budget, "relationAggregation", "attention", "writeProperty", "semanticKind")))
                .hasMessageContaining("relationAggregation 'attention' is not trained from the store");
        assertNothingFrom("storeSemantic", "semanticKind");
        assertThatThrownBy(() -> train("storeAttention", with(typedConfig(run),
                "memoryBudget", budget, "attentionProperty", "storeAttention")))
                .hasMessageContaining("attentionProperty 'storeAttention' is not written by a typed training that "
                        + "reads its batches from the store");
        assertNothingFrom("storeAttention", "storeAttention");
    }

    @Test
    void terminationStopsItWithinASecondAndProgressIsPerBatch() throws Exception {
        Object[] run = {"mode", "miniBatch", "batchSize", 8, "fanouts", List.of(3, 3), "epochs", 1_000_000,
                "patience", 0, "concurrency", 2};
        long budget = storeOnlyBudget(typedConfig(run));
        java.util.concurrent.CompletableFuture<Throwable> training =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        train("endlessTypedStore", with(typedConfig(run),
                                "memoryBudget", budget, "writeProperty", "neverWrittenTyped"));
                        return null;
                    } catch (Throwable t) {
                        return t;
                    }
                });
        String transactionId = null;
        String phase = null;
        long batches = 0;
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (transactionId == null && System.nanoTime() < deadline) {
            Map<String, Object> progress = db.executeTransactionally("CALL gat.progress() YIELD modelName, phase, "
                    + "epoch, done, total WHERE modelName = 'endlessTypedStore' RETURN phase, epoch, done, total",
                    Map.of(), r -> r.hasNext() ? r.next() : null);
            if (progress != null && ((Number) progress.get("epoch")).longValue() >= 2) {
                phase = (String) progress.get("phase");
                batches = ((Number) progress.get("total")).longValue();
                List<String> ids = db.executeTransactionally("SHOW TRANSACTIONS YIELD transactionId, currentQuery "
                        + "WHERE currentQuery CONTAINS 'gat.train' AND NOT currentQuery CONTAINS 'SHOW TRANSACTIONS' "
                        + "RETURN transactionId", Map.of(), r -> r.stream()
                        .map(row -> (String) row.get("transactionId")).toList());
                assertThat(ids).hasSize(1);
                transactionId = ids.get(0);
            }
            Thread.sleep(20);
        }
        assertThat(transactionId).as("the training ran two epochs within 60 s").isNotNull();
        long trainNodes = db.executeTransactionally("MATCH (p:Paper {split: 'train'}) RETURN count(p) AS n", Map.of(),
                r -> (Long) r.next().get("n"));
        assertThat(batches).as("batches per epoch").isEqualTo((trainNodes + 7) / 8);
        assertThat(phase).startsWith("training (batches read from the store): epoch ").contains(", batch ")
                .endsWith(" of " + batches);
        long start = System.nanoTime();
        String message = db.executeTransactionally("TERMINATE TRANSACTION $id", Map.of("id", transactionId),
                r -> (String) r.next().get("message"));
        assertThat(message).isEqualTo("Transaction terminated.");
        Throwable failure = training.get(30, java.util.concurrent.TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("typed gat.train from the store returned %.3f s after TERMINATE TRANSACTION%n", seconds);
        assertThat(failure).as("the training call fails").isNotNull();
        assertThat(seconds).as("seconds until the procedure returned").isLessThan(2.0);
        assertNothingFrom("endlessTypedStore", "neverWrittenTyped");
        long jobs = db.executeTransactionally("CALL gat.progress() YIELD modelName WHERE modelName = "
                + "'endlessTypedStore' RETURN count(*) AS n", Map.of(), r -> (Long) r.next().get("n"));
        assertThat(jobs).isZero();
    }

    private void assertNothingFrom(String model, String property) {
        assertNothingFrom(model, property, "Paper");
    }

    private void assertNothingFrom(String model, String property, String label) {
        long models = db.executeTransactionally("CALL gat.model.list() YIELD name WHERE name = $name "
                + "RETURN count(*) AS n", Map.of("name", model), result -> (Long) result.next().get("n"));
        assertThat(models).as("model %s stored", model).isZero();
        long written = db.executeTransactionally("MATCH (p:" + label + ") WHERE p[$property] IS NOT NULL "
                + "RETURN count(p) AS n",
                Map.of("property", property), result -> (Long) result.next().get("n"));
        assertThat(written).as("%s written", property).isZero();
    }
}
