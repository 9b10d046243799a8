package dev.neogat.procedures;

import dev.neogat.model.MemoryEstimate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.harness.Neo4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * gat.train reading its batches from the store when the projection does not fit 'memoryBudget': the same seed
 * gives the same model as in-heap mini-batch training (bit for bit: same losses, same predictions), 'auto' picks
 * it under a tiny budget and says why, predictions are written chunk by chunk (layer by layer when the budget
 * leaves room beyond the batches), relationship features are read per batch as the heap gives them, what cannot be
 * done from the store fails before anything is read or written, and TERMINATE TRANSACTION stops it within a second.
 */
class StoreMiniBatchTest {

    @TempDir
    static Path dir;

    private static Neo4j neo4j;
    private static GraphDatabaseService db;

    @BeforeAll
    static void start() {
        neo4j = Harness.start(dir, null);
        db = Harness.db(neo4j);
        SmallGraph.create(db, 150);
        // Self loops and a duplicate, made after the other relationships so that ids interleave per node.
        db.executeTransactionally("""
                MATCH (a:Item) WHERE a.itemId % 10 = 0 CREATE (a)-[:LINKS {since: 0}]->(a)
                WITH count(*) AS loops
                MATCH (a:Item)-[r:LINKS]->(b:Item) WHERE a <> b AND a.itemId % 5 = 1
                CREATE (a)-[:LINKS {since: 1}]->(b)""");
        // A relationship feature array on every relationship but the last made (one missing value).
        db.executeTransactionally("""
                MATCH (a:Item)-[r:LINKS]->(b:Item) SET r.weight = [sin(a.itemId * 7 + b.itemId), a.itemId % 3]
                WITH max(id(r)) AS last MATCH ()-[r:LINKS]->() WHERE id(r) = last REMOVE r.weight""");
    }

    @AfterAll
    static void stop() {
        neo4j.close();
    }

    private static Map<String, Object> config(Object... extra) {
        Map<String, Object> config = new HashMap<>(Map.of("featureProperties", "features", "labelProperty", "colour",
                "splitProperty", "split", "epochs", 12, "patience", 0, "learningRate", 0.01, "heads", 2,
                "hiddenChannels", 4, "seed", 7));
        config.put("mode", "miniBatch");
        config.put("batchSize", 8);
        config.put("fanouts", List.of(3, 2));
        for (int i = 0; i < extra.length; i += 2) {
            config.put((String) extra[i], extra[i + 1]);
        }
        return config;
    }

    private static Map<String, Object> train(String name, Map<String, Object> config) {
        return db.executeTransactionally("CALL gat.train($name, $config) YIELD mode, modeReason, finalLoss, epochs, "
                        + "bestEpoch, trainAccuracy, validationAccuracy, testAccuracy, nodeCount, relationshipCount, "
                        + "propertiesWritten RETURN *", Map.of("name", name, "config", config), r -> r.next());
    }

    @Test
    void fromTheStoreTrainsTheSameModelAsInTheHeap() {
        List<Map<String, Object>> projections = List.of(Map.of(),
                Map.of("orientation", "NATURAL", "selfLoops", false, "dropDuplicates", true),
                Map.of("orientation", "REVERSE", "normalizeFeatures", true, "heads", 1));
        for (int p = 0; p < projections.size(); p++) {
            Map<String, Object> projection = projections.get(p);
            String suffix = String.valueOf(p);
            Map<String, Object> heapConfig = config("memoryBudget", "8GiB", "writeProperty", "heap" + suffix);
            heapConfig.putAll(projection);
            Map<String, Object> storeConfig = config("memoryBudget", 1024, "writeProperty", "store" + suffix,
                    "probabilityProperty", "storeP" + suffix);
            storeConfig.putAll(projection);
            Map<String, Object> heap = train("heap" + suffix, heapConfig);
            Map<String, Object> store = train("store" + suffix, storeConfig);
            assertEquals("mode 'miniBatch' was asked for", heap.get("mode").equals("miniBatch")
                    ? heap.get("modeReason") : "heap run was " + heap.get("mode"));
            assertEquals("miniBatch", store.get("mode"));
            assertThat((String) store.get("modeReason")).startsWith("mode 'miniBatch' was asked for; mini-batch "
                    + "training (batchSize 8, fanouts [3, 2]) needs about ").contains("more than the memory budget "
                    + "1.0 KiB (memoryBudget); so the projection stays in the store");
            for (String key : List.of("finalLoss", "epochs", "bestEpoch", "validationAccuracy", "testAccuracy",
                    "nodeCount", "relationshipCount")) {
                assertEquals(heap.get(key), store.get(key), key + " with " + projection);
            }
            // Training accuracy: the whole graph at once against chunks of exact neighbourhoods.
            assertEquals((Double) heap.get("trainAccuracy"), (Double) store.get("trainAccuracy"), 1e-12);
            assertEquals(150L * 2, store.get("propertiesWritten"));
            assertEquals(0L, count("CALL gat.predict.stream('heap" + suffix + "', {includeProbabilities: true}) "
                    + "YIELD node, predictedClass, probabilities WITH node, predictedClass, probabilities "
                    + "CALL gat.predict.stream('store" + suffix + "', {includeProbabilities: true}) "
                    + "YIELD node AS other, predictedClass AS otherClass, probabilities AS otherProbabilities "
                    + "WITH * WHERE node = other AND (predictedClass <> otherClass "
                    + "OR probabilities <> otherProbabilities) RETURN count(*) AS n"), "same parameters, same output");
            assertEquals(0L, count("MATCH (n:Item) WHERE n.heap" + suffix + " <> n.store" + suffix
                    + " OR n.store" + suffix + " IS NULL RETURN count(n) AS n"), "written chunk by chunk");
            assertEquals(0L, count("CALL gat.predict.stream('store" + suffix + "', {includeProbabilities: true}) "
                    + "YIELD node, probabilities WITH node, probabilities, node.storeP" + suffix + " AS written "
                    + "WHERE any(i IN range(0, size(written) - 1) WHERE abs(written[i] - probabilities[i]) > 1e-6) "
                    + "RETURN count(*) AS n"));
        }
    }

    /**
     * Relationship features read per batch from the store (the self loop's mean and the standardisation statistics
     * from one pass at open): the same losses, the same written predictions and the same stored statistics as the
     * in-heap mini-batch run, with the one missing value read as zeros; without 'zero' it is refused as in the heap.
     */
    @Test
    void relationshipFeaturesFromTheStoreTrainAsInTheHeap() {
        List<Map<String, Object>> projections = List.of(
                Map.of("standardizeRelationshipFeatures", true),
                Map.of("orientation", "NATURAL", "selfLoops", false, "dropDuplicates", true,
                        "standardizeRelationshipFeatures", false),
                Map.of("orientation", "REVERSE", "standardizeRelationshipFeatures", true, "concurrency", 2));
        for (int p = 0; p < projections.size(); p++) {
            Map<String, Object> projection = new HashMap<>(projections.get(p));
            projection.put("relationshipFeatures", List.of("since", "weight"));
            projection.put("missingRelationshipFeatures", "zero");
            String heapName = "edgeHeap" + p;
            String storeName = "edgeStore" + p;
            Map<String, Object> heapConfig = config("memoryBudget", "8GiB", "writeProperty", heapName,
                    "probabilityProperty", heapName + "P");
            heapConfig.putAll(projection);
            Map<String, Object> storeConfig = config("memoryBudget", 1024, "writeProperty", storeName,
                    "probabilityProperty", storeName + "P");
            storeConfig.putAll(projection);
            Map<String, Object> heap = train(heapName, heapConfig);
            Map<String, Object> store = train(storeName, storeConfig);
            assertEquals("miniBatch", heap.get("mode"), "in the heap with " + projection);
            assertThat((String) store.get("modeReason")).contains("so the projection stays in the store");
            assertEquals((Double) heap.get("finalLoss"), (Double) store.get("finalLoss"), 1e-6,
                    "final loss with " + projection);
            for (String key : List.of("epochs", "nodeCount", "relationshipCount")) {
                assertEquals(heap.get(key), store.get(key), key + " with " + projection);
            }
            for (String key : List.of("trainAccuracy", "validationAccuracy", "testAccuracy")) {
                assertEquals((Double) heap.get(key), (Double) store.get(key), 1e-12, key + " with " + projection);
            }
            assertEquals(0L, count("MATCH (n:Item) WHERE n." + storeName + " IS NULL OR n." + storeName + " <> n."
                    + heapName + " OR any(i IN range(0, size(n." + heapName + "P) - 1) WHERE abs(n." + storeName
                    + "P[i] - n." + heapName + "P[i]) > 1e-6) RETURN count(n) AS n"), "written with " + projection);
            // The stored models standardise (or not) as they were trained: their predictions agree as well.
            assertEquals(0L, count("CALL gat.predict.stream('" + heapName + "', {includeProbabilities: true}) "
                    + "YIELD node, probabilities WITH node, probabilities "
                    + "CALL gat.predict.stream('" + storeName + "', {includeProbabilities: true}) "
                    + "YIELD node AS other, probabilities AS otherProbabilities WITH * WHERE node = other "
                    + "AND any(i IN range(0, size(probabilities) - 1) "
                    + "WHERE abs(probabilities[i] - otherProbabilities[i]) > 1e-6) RETURN count(*) AS n"),
                    "stored models with " + projection);
        }
        Map<String, Object> missing = new HashMap<>(Map.of("relationshipFeatures", List.of("since", "weight"),
                "writeProperty", "neverWeighted"));
        Map<String, Object> heapConfig = config("memoryBudget", "8GiB");
        heapConfig.putAll(missing);
        Map<String, Object> storeConfig = config("memoryBudget", 1024);
        storeConfig.putAll(missing);
        String inHeap = failure(heapConfig).getMessage();
        String fromStore = failure(storeConfig).getMessage();
        assertThat(inHeap).startsWith("1 relationship lacks a relationshipFeatures property (e.g. relationship ")
                .contains("lacks the property 'weight'").contains("missingRelationshipFeatures: 'zero'");
        assertEquals(inHeap, fromStore, "the same relationship named");
        assertEquals(0L, count("MATCH (n) WHERE n.neverWeighted IS NOT NULL RETURN count(n) AS n"));
    }

    /**
     * With relationship features and a budget that leaves room beyond the batches, validation and write-back run
     * layer by layer over the store, each chunk reading its slots' relationship features: what the heap run writes.
     */
    @Test
    void relationshipFeaturesFromTheStoreWriteLayerByLayer() throws IOException {
        Map<String, Object> edges = Map.of("relationshipFeatures", List.of("since", "weight"),
                "missingRelationshipFeatures", "zero", "standardizeRelationshipFeatures", true, "concurrency", 1);
        Map<String, Object> estimateConfig = config("memoryBudget", "8GiB");
        estimateConfig.putAll(edges);
        // In-heap mini-batch training holds the relationship features per relationship and per slot.
        long inHeapBytes = db.executeTransactionally("CALL gat.train.estimate($config) YIELD miniBatchBytes "
                + "RETURN miniBatchBytes", Map.of("config", estimateConfig), r -> (Long) r.next().get("miniBatchBytes"));
        System.out.printf("layer-wise store run with relationship features: in-heap mini-batch %d bytes, budget %d%n",
                inHeapBytes, inHeapBytes - 1);
        Map<String, Object> heapConfig = config("memoryBudget", "8GiB", "writeProperty", "edgeLayersHeap",
                "probabilityProperty", "edgeLayersHeapP");
        heapConfig.putAll(edges);
        Map<String, Object> storeConfig = config("memoryBudget", inHeapBytes - 1, "writeProperty", "edgeLayersStore",
                "probabilityProperty", "edgeLayersStoreP");
        storeConfig.putAll(edges);
        Map<String, Object> heap = train("edgeLayersHeap", heapConfig);
        Map<String, Object> store = train("edgeLayersStore", storeConfig);
        assertThat((String) store.get("modeReason")).contains("so the projection stays in the store");
        assertEquals((Double) heap.get("finalLoss"), (Double) store.get("finalLoss"), 1e-6);
        assertEquals((Double) heap.get("validationAccuracy"), (Double) store.get("validationAccuracy"), 1e-12);
        assertEquals(0L, count("MATCH (n:Item) WHERE n.edgeLayersStore IS NULL OR n.edgeLayersStore <> "
                + "n.edgeLayersHeap OR any(i IN range(0, size(n.edgeLayersHeapP) - 1) WHERE abs(n.edgeLayersStoreP[i] "
                + "- n.edgeLayersHeapP[i]) > 1e-6) RETURN count(n) AS n"), "layer by layer with relationship features");
        assertThat(debugLog()).contains("gat.train 'edgeLayersStore': predicting layer by layer and writing chunk by "
                + "chunk (read from the store)");
    }

    /**
     * A budget just below what in-heap mini-batch training needs: the projection stays in the store, yet what the
     * budget leaves beyond the batches holds a layer's per-node outputs, so write-back runs layer by layer over the
     * store (said in the log) and writes what the in-heap run writes.
     */
    @Test
    void aBudgetBelowTheHeapRunButAboveTheBatchesWritesLayerByLayer() throws IOException {
        Map<String, Object> estimate = db.executeTransactionally("CALL gat.train.estimate($config) YIELD "
                        + "miniBatchBytes, storeBatchBytes RETURN *",
                Map.of("config", config("memoryBudget", "8GiB", "concurrency", 1)), r -> r.next());
        long inHeapBytes = (Long) estimate.get("miniBatchBytes");
        long storeBytes = (Long) estimate.get("storeBatchBytes");
        System.out.printf("layer-wise store run: in-heap mini-batch %d bytes, from the store %d, budget %d%n",
                inHeapBytes, storeBytes, inHeapBytes - 1);
        Map<String, Object> heap = train("layerWiseHeap", config("memoryBudget", "8GiB", "concurrency", 1,
                "writeProperty", "layerWiseHeap"));
        Map<String, Object> store = train("layerWiseStore", config("memoryBudget", inHeapBytes - 1, "concurrency", 1,
                "writeProperty", "layerWiseStore"));
        assertThat((String) store.get("modeReason")).contains("so the projection stays in the store");
        for (String key : List.of("finalLoss", "epochs", "bestEpoch", "validationAccuracy", "testAccuracy")) {
            assertEquals(heap.get(key), store.get(key), key);
        }
        assertEquals(150L, store.get("propertiesWritten"));
        assertEquals(0L, count("MATCH (n:Item) WHERE n.layerWiseStore IS NULL OR n.layerWiseStore <> n.layerWiseHeap "
                + "RETURN count(n) AS n"), "layer by layer over the store writes what the in-heap run writes");
        assertThat(debugLog()).contains("gat.train 'layerWiseStore': predicting layer by layer and writing chunk by "
                + "chunk (read from the store)");
    }

    /** The database's debug.log, where the procedures' log lines go. */
    private static String debugLog() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            Path log = files.filter(f -> f.getFileName().toString().equals("debug.log")).findFirst()
                    .orElseThrow(() -> new AssertionError("no debug.log under " + dir));
            return Files.readString(log);
        }
    }

    /**
     * Batches, validation chunks and write-back chunks prepared on worker threads (each store reader in a read
     * transaction of its own): the same model and the same written predictions at concurrency 1, 2 and 4, in the
     * heap and from the store.
     */
    @Test
    void theSameSeedGivesTheSameModelAtAnyConcurrency() {
        for (Object budget : List.of("8GiB", 1024)) {
            String where = budget.equals(1024) ? "store" : "heap";
            Map<String, Object> first = null;
            for (int concurrency : new int[]{1, 2, 4}) {
                String name = where + "Threads" + concurrency;
                Map<String, Object> trained = train(name, config("memoryBudget", budget, "concurrency", concurrency,
                        "writeProperty", name, "probabilityProperty", name + "P", "patience", 3));
                if (first == null) {
                    first = trained;
                    continue;
                }
                for (String key : List.of("finalLoss", "epochs", "bestEpoch", "trainAccuracy", "validationAccuracy",
                        "testAccuracy", "propertiesWritten")) {
                    assertEquals(first.get(key), trained.get(key), key + " " + where + " at concurrency "
                            + concurrency);
                }
                String one = where + "Threads1";
                assertEquals(0L, count("MATCH (n:Item) WHERE n." + name + " IS NULL OR n." + name + " <> n." + one
                        + " OR n." + name + "P <> n." + one + "P RETURN count(n) AS n"), where + " at " + concurrency);
                assertEquals(0L, count("CALL gat.predict.stream('" + one + "', {includeProbabilities: true}) "
                        + "YIELD node, probabilities WITH node, probabilities "
                        + "CALL gat.predict.stream('" + name + "', {includeProbabilities: true}) "
                        + "YIELD node AS other, probabilities AS otherProbabilities "
                        + "WITH * WHERE node = other AND probabilities <> otherProbabilities RETURN count(*) AS n"),
                        "same parameters " + where + " at concurrency " + concurrency);
            }
        }
    }

    @Test
    void autoReadsFromTheStoreUnderATinyBudgetAndSaysWhy() {
        Map<String, Object> auto = train("autoStore", config("mode", "auto", "memoryBudget", "1KiB", "epochs", 30));
        assertEquals("miniBatch", auto.get("mode"));
        assertThat((String) auto.get("modeReason")).startsWith("auto: full-batch training needs about ")
                .contains("more than the memory budget 1.0 KiB (memoryBudget); mini-batch training (batchSize 8, "
                        + "fanouts [3, 2]) needs about ")
                .contains("with the projection in the heap, also more; so the projection stays in the store and "
                        + "each batch reads its neighbourhoods and features from it (about ");
        assertThat((Double) auto.get("validationAccuracy")).as("3 classes").isGreaterThan(0.5);
    }

    @Test
    void theEstimateNamesTheStorePathGatTrainRuns() {
        for (String mode : List.of("miniBatch", "auto")) {
            // One thread: on this small graph an exact 2-hop evaluation chunk covers much of it, so the chunks read
            // ahead on more threads would hold more than the projection does.
            Map<String, Object> config = config("mode", mode, "memoryBudget", "1KiB", "epochs", 2, "concurrency", 1);
            Map<String, Object> estimate = db.executeTransactionally("CALL gat.train.estimate($config) YIELD mode, "
                    + "modeReason, miniBatchBytes, storeBatchBytes, requiredBytes, breakdown, fits RETURN *",
                    Map.of("config", config), r -> r.next());
            Map<String, Object> trained = train("estimated" + mode, config);
            assertEquals(trained.get("mode"), estimate.get("mode"), mode);
            assertEquals(trained.get("modeReason"), estimate.get("modeReason"), mode);
            assertThat((String) estimate.get("modeReason")).contains("so the projection stays in the store");
            long storeBytes = (Long) estimate.get("storeBatchBytes");
            assertEquals(storeBytes, estimate.get("requiredBytes"), mode);
            assertThat(storeBytes).as("reading from the store keeps less than the whole projection in the heap")
                    .isPositive().isLessThan((Long) estimate.get("miniBatchBytes"));
            assertThat((String) estimate.get("modeReason"))
                    .endsWith("(about " + MemoryEstimate.humanReadable(storeBytes) + ")");
            assertEquals(true, estimate.get("fits"), "a few KiB fit any test heap");
        }
        Map<String, Object> roomy = db.executeTransactionally("CALL gat.train.estimate($config) YIELD mode, "
                + "storeBatchBytes, miniBatchBytes, requiredBytes RETURN *",
                Map.of("config", config("memoryBudget", "8GiB")), r -> r.next());
        assertEquals("miniBatch", roomy.get("mode"));
        assertEquals(roomy.get("miniBatchBytes"), roomy.get("requiredBytes"), "in the heap when it fits");
        assertThat((Long) roomy.get("storeBatchBytes")).isPositive();
    }

    @Test
    void whatTheStorePathCannotDoFailsBeforeAnythingIsWritten() {
        IllegalArgumentException attention = failure(config("memoryBudget", 1024, "writeProperty", "neverA",
                "attentionProperty", "attentionNever"));
        assertThat(attention.getMessage()).contains("attentionProperty 'attentionNever' is not written by a training "
                + "that reads its batches from the store (mode 'miniBatch' was asked for; ")
                .contains("write it afterwards with gat.attention.write or gat.embed.write");
        IllegalArgumentException fanouts = failure(config("memoryBudget", 1024, "writeProperty", "neverA",
                "fanouts", List.of(3, 2, 2)));
        assertThat(fanouts.getMessage()).contains("'fanouts' lists 3 values [3, 2, 2] but 'layers' is 2");
        IllegalArgumentException unknownLabel = failure(config("memoryBudget", 1024, "labelProperty", "colur"));
        assertThat(unknownLabel.getMessage()).contains("colur").contains("colour");
        assertEquals(0L, count("MATCH (n) WHERE n.neverA IS NOT NULL RETURN count(n) AS n"));
        assertEquals(0L, count("MATCH ()-[r]->() WHERE r.attentionNever IS NOT NULL RETURN count(r) AS n"));
        assertEquals(0L, count("CALL gat.model.list() YIELD name WHERE name = 'bad' RETURN count(*) AS n"));
    }

    private static IllegalArgumentException failure(Map<String, Object> config) {
        RuntimeException e = assertThrows(RuntimeException.class, () -> train("bad", config));
        Throwable cause = e;
        while (cause.getCause() != null && !(cause instanceof IllegalArgumentException)) {
            cause = cause.getCause();
        }
        assertThat(cause).isInstanceOf(IllegalArgumentException.class);
        return (IllegalArgumentException) cause;
    }

    @Test
    void terminationStopsItWithinASecondAndProgressIsPerBatch() throws Exception {
        CompletableFuture<Throwable> training = CompletableFuture.supplyAsync(() -> {
            try {
                train("endlessStore", config("memoryBudget", 1024, "epochs", 1_000_000, "batchSize", 2,
                        "writeProperty", "neverWritten"));
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        String transactionId = null;
        String phase = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (transactionId == null && System.nanoTime() < deadline) {
            Map<String, Object> progress = db.executeTransactionally("CALL gat.progress() YIELD modelName, phase, "
                    + "epoch, done, total WHERE modelName = 'endlessStore' RETURN phase, epoch, done, total",
                    Map.of(), r -> r.hasNext() ? r.next() : null);
            if (progress != null && ((Number) progress.get("epoch")).longValue() >= 2) {
                phase = (String) progress.get("phase");
                assertThat(((Number) progress.get("total")).longValue()).as("batches per epoch").isEqualTo(25L);
                List<String> ids = db.executeTransactionally("""
                        SHOW TRANSACTIONS YIELD transactionId, currentQuery
                        WHERE currentQuery CONTAINS 'gat.train' AND NOT currentQuery CONTAINS 'SHOW TRANSACTIONS'
                        RETURN transactionId""", Map.of(), r -> r.stream().map(row -> (String) row.get("transactionId"))
                        .toList());
                assertThat(ids).hasSize(1);
                transactionId = ids.get(0);
            }
            Thread.sleep(20);
        }
        assertThat(transactionId).as("the training ran two epochs within 60 s").isNotNull();
        assertThat(phase).startsWith("training (batches read from the store): epoch ").contains(", batch ")
                .endsWith(" of 25");
        long start = System.nanoTime();
        String message = db.executeTransactionally("TERMINATE TRANSACTION $id", Map.of("id", transactionId),
                r -> (String) r.next().get("message"));
        assertThat(message).isEqualTo("Transaction terminated.");
        while (count("CALL gat.progress() YIELD modelName WHERE modelName = 'endlessStore' RETURN count(*) AS n") > 0
                && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30)) {
            Thread.sleep(5);
        }
        double jobSeconds = (System.nanoTime() - start) / 1e9;
        Throwable failure = training.get(30, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("gat.train from the store left gat.progress() %.3f s and returned %.3f s after TERMINATE "
                + "TRANSACTION%n", jobSeconds, seconds);
        assertThat(failure).as("the training call fails").isNotNull();
        assertThat(seconds).as("seconds until the procedure returned").isLessThan(2.0);
        assertEquals(0L, count("CALL gat.model.list() YIELD name WHERE name = 'endlessStore' RETURN count(*) AS n"));
        assertEquals(0L, count("MATCH (n) WHERE n.neverWritten IS NOT NULL RETURN count(n) AS n"));
    }

    private static long count(String query) {
        return db.executeTransactionally(query, Map.of(), r -> ((Number) r.next().get("n")).longValue());
    }
}
