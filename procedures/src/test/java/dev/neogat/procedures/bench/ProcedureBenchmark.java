package dev.neogat.procedures.bench;

import dev.neogat.graph.NeighbourSampler;
import dev.neogat.graph.SampledSubgraph;
import dev.neogat.procedures.CypherScripts;
import dev.neogat.procedures.EmbeddedNeo4j;
import dev.neogat.procedures.config.TrainConfig;
import dev.neogat.procedures.load.GraphLoader;
import dev.neogat.procedures.load.StoreGraph;
import dev.neogat.testing.SharedData;
import dev.neogat.train.LayerWiseInference;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Relationship;
import org.neo4j.graphdb.RelationshipType;
import org.neo4j.graphdb.Transaction;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The procedures in an in-process Neo4j, printed as numbers:
 * <ul>
 *   <li>{@code cora}: the README's scripts load Cora, then gat.train with write-back, with the default
 *       settings and with PyG's example settings (200 epochs, no early stopping): load, train and write
 *       times and rates;</li>
 *   <li>{@code synthetic N R}: N nodes with 16 features and R random relationships: the loader's phases
 *       (three runs, the first cold), relationships loaded per second by gat.train, attention properties
 *       written per second by gat.attention.write (first written, then rewritten) and predictions per
 *       second by gat.predict.write.</li>
 *   <li>{@code given N R}: on the same kind of graph, the latency of gat.predict.stream with {@code nodes} (2 layers,
 *       all neighbours) for 1 and for 100 random nodes: median and p99 over 100 warm calls, next to one full run.</li>
 *   <li>{@code typedGiven N R}: the same for a typed model (relationAggregation 'sum', 2 layers, UNDIRECTED) on a
 *       generated typed graph of N items (16 features, the target label), N/4 users (8 features), N/50 shops
 *       (4 features) and N/10 featureless tags, with R relationships: users RATE items (with a 'stars' property the
 *       model attends over), shops SELL items, items are TAGGED and SIMILAR to items; 1 and 100 random items.</li>
 *   <li>{@code store}: Cora loaded by the README's scripts, then mini-batch gat.train with the projection in the heap
 *       and read from the store (a memoryBudget of 1 KiB), same seed, at concurrency 1 and 2: load, training time
 *       per epoch, test accuracy, final loss, write time, and whether all runs gave the same model; then what one
 *       thread spends per epoch reading from the store: sampling the batches, their feature rows, the validation
 *       chunks' exact neighbourhoods and their rows, against every slot list and every row once (layer-wise
 *       validation).</li>
 *   <li>{@code typedStore N R}: the typedGiven graph without its relationship properties in the model, typed
 *       mini-batch gat.train (batchSize 256, fanouts [5, 5], 3 epochs, concurrency 2) with the projection in the heap
 *       and read from the store, same seed: time per epoch, accuracy, final loss, live heap at most.</li>
 * </ul>
 * Run: {@code mvn -q -pl procedures -am -Pbench verify -Dbench.engine.skip=true -Dbench.args="cora synthetic 100000 1000000"}
 * ({@code -Dbench.args="given 100000 1000000"} for the latency of given nodes, {@code "typedGiven 100000 1000000"}
 * for a typed model's)
 */
public final class ProcedureBenchmark {

    public static void main(String[] args) throws Exception {
        String[] words = Arrays.stream(args).flatMap(a -> Arrays.stream(a.trim().split("\\s+")))
                .filter(w -> !w.isEmpty()).toArray(String[]::new);
        if (words.length == 0) {
            words = new String[]{"cora", "synthetic", "100000", "1000000"};
        }
        for (int w = 0; w < words.length; w++) {
            if (words[w].equals("cora")) {
                cora();
            } else if (words[w].equals("synthetic")) {
                synthetic(Integer.parseInt(words[++w]), Integer.parseInt(words[++w]));
            } else if (words[w].equals("store")) {
                store();
            } else if (words[w].equals("given")) {
                given(Integer.parseInt(words[++w]), Integer.parseInt(words[++w]));
            } else if (words[w].equals("typedGiven")) {
                typedGiven(Integer.parseInt(words[++w]), Integer.parseInt(words[++w]));
            } else if (words[w].equals("typedStore")) {
                typedStore(Integer.parseInt(words[++w]), Integer.parseInt(words[++w]));
            } else {
                throw new IllegalArgumentException("Unknown benchmark '" + words[w] + "'; expected cora, synthetic N R "
                        + "given N R, typedGiven N R, typedStore N R or store");
            }
        }
    }

    private static void cora() throws Exception {
        Path dataset = SharedData.sharedDir() == null ? null : SharedData.sharedDir().resolve("datasets/cora");
        if (dataset == null || !Files.isDirectory(dataset)) {
            System.out.println("cora: skipped, ../shared/datasets/cora is not present");
            return;
        }
        Path home = Files.createTempDirectory("neogat-bench");
        try (EmbeddedNeo4j neo4j = new EmbeddedNeo4j(home, dataset)) {
            GraphDatabaseService db = neo4j.db();
            long start = System.nanoTime();
            CypherScripts.run(db, "load-citation-dataset.cypher", Map.of("featureCount", 1433));
            System.out.printf(Locale.ROOT, "cora: load-citation-dataset.cypher %.0f ms%n", (System.nanoTime() - start) / 1e6);
            for (String settings : new String[]{"default settings", "PyG example settings (200 epochs, no early stopping)"}) {
                String extra = settings.startsWith("PyG") ? ", epochs: 200, patience: 0" : "";
                String model = settings.startsWith("PyG") ? "coraPyg" : "cora";
                start = System.nanoTime();
                Map<String, Object> row = db.executeTransactionally("""
                        CALL gat.train($model, {nodeLabels: ['Paper'], relationshipTypes: ['CITES'],
                             featureProperties: 'features', labelProperty: 'subject', splitProperty: 'split',
                             writeProperty: 'predicted_%s', attentionProperty: 'attention_%s'%s})
                        """.formatted(model, model, extra), Map.of("model", model), r -> r.next());
                double total = (System.nanoTime() - start) / 1e6;
                long relationships = (Long) row.get("relationshipCount");
                long written = (Long) row.get("propertiesWritten");
                long load = (Long) row.get("loadMillis");
                long write = (Long) row.get("writeMillis");
                System.out.printf(Locale.ROOT, "cora, %s: gat.train with write-back %.0f ms: load %d ms "
                                + "(%.0f relationships/s), train %d ms (%d epochs, test accuracy %.1f%%), write %d ms "
                                + "(%d properties, %.0f/s)%n", settings, total, load, relationships * 1000.0 / load,
                        row.get("trainMillis"), row.get("epochs"), 100 * (Double) row.get("testAccuracy"), write,
                        written, written * 1000.0 / Math.max(1, write));
            }
        }
    }

    private static void store() throws Exception {
        Path dataset = SharedData.sharedDir() == null ? null : SharedData.sharedDir().resolve("datasets/cora");
        if (dataset == null || !Files.isDirectory(dataset)) {
            System.out.println("store: skipped, ../shared/datasets/cora is not present");
            return;
        }
        Path home = Files.createTempDirectory("neogat-bench");
        try (EmbeddedNeo4j neo4j = new EmbeddedNeo4j(home, dataset)) {
            GraphDatabaseService db = neo4j.db();
            CypherScripts.run(db, "load-citation-dataset.cypher", Map.of("featureCount", 1433));
            Map<String, Map<String, Object>> rows = new java.util.LinkedHashMap<>();
            for (int concurrency : new int[]{1, 2}) {
                for (String where : new String[]{"heap", "store"}) {
                    Object budget = where.equals("heap") ? "16GiB" : 1024;
                    String model = "cora_" + where + concurrency;
                    long start = System.nanoTime();
                    Map<String, Object> row = db.executeTransactionally("CALL gat.train($model, $config) "
                                    + "YIELD modeReason, loadMillis, trainMillis, writeMillis, epochs, testAccuracy, "
                                    + "finalLoss RETURN *",
                            Map.of("model", model, "config", storeConfig(budget, concurrency, model)), r -> r.next());
                    rows.put(model, row);
                    System.out.printf(Locale.ROOT, "store, Cora, projection in the %s, concurrency %d: gat.train "
                                    + "%.0f ms: load %d ms, train %d ms (%d epochs, %.0f ms each), test accuracy "
                                    + "%.1f%%, final loss %.6f, write %d ms%n", where, concurrency,
                            (System.nanoTime() - start) / 1e6, row.get("loadMillis"), row.get("trainMillis"),
                            row.get("epochs"), ((Long) row.get("trainMillis")).doubleValue() / (Long) row.get("epochs"),
                            100 * (Double) row.get("testAccuracy"), row.get("finalLoss"), row.get("writeMillis"));
                }
            }
            System.out.println("store, Cora: " + rows.get("cora_store1").get("modeReason"));
            long differing = db.executeTransactionally("MATCH (p:Paper) WHERE p.cora_heap1 <> p.cora_store1 "
                    + "OR p.cora_heap1 <> p.cora_heap2 OR p.cora_heap1 <> p.cora_store2 RETURN count(p) AS n", Map.of(),
                    r -> (Long) r.next().get("n"));
            System.out.printf(Locale.ROOT, "store, Cora: same final loss in all runs %s, papers predicted differently "
                    + "%d%n", rows.values().stream().map(r -> r.get("finalLoss")).distinct().count() == 1, differing);
            storeReads(db);
        }
    }

    private static Map<String, Object> storeConfig(Object budget, int concurrency, String writeProperty) {
        Map<String, Object> config = new java.util.HashMap<>(Map.of("nodeLabels", java.util.List.of("Paper"),
                "relationshipTypes", java.util.List.of("CITES"), "featureProperties", "features", "labelProperty",
                "subject", "splitProperty", "split", "mode", "miniBatch", "batchSize", 32,
                "fanouts", java.util.List.of(5, 5), "epochs", 20));
        config.putAll(Map.of("patience", 0, "seed", 1, "memoryBudget", budget, "concurrency", concurrency,
                "writeProperty", writeProperty));
        return config;
    }

    /** One thread's reads from the store for one epoch of the store benchmark's training, timed part by part. */
    private static void storeReads(GraphDatabaseService db) {
        TrainConfig config = TrainConfig.read(storeConfig(1024, 1, "unused"));
        try (Transaction tx = db.beginTx()) {
            StoreGraph store = StoreGraph.open(tx, config.projection(), config.labelProperty(),
                    new GraphLoader.SplitSpec(config.splitProperty(), config.trainFraction(),
                            config.validationFraction(), 1), () -> { }, phase -> { });
            NeighbourSampler batches = new NeighbourSampler(store, new int[]{5, 5}, 1);
            NeighbourSampler exact = new NeighbourSampler(store, new int[]{-1, -1}, 0);
            for (int run = 0; run < 3; run++) {
                long[] nanos = new long[4];
                long[] nodes = new long[2];
                for (int part = 0; part < 2; part++) {
                    int[] targets = part == 0 ? store.split().train() : store.split().validation();
                    for (int b = 0; b * 32 < targets.length; b++) {
                        int[] chunk = Arrays.copyOfRange(targets, b * 32, Math.min(targets.length, b * 32 + 32));
                        long start = System.nanoTime();
                        SampledSubgraph subgraph = (part == 0 ? batches : exact).sample(chunk, run, b);
                        nanos[2 * part] += System.nanoTime() - start;
                        start = System.nanoTime();
                        store.features().rows(subgraph.wholeNodes());
                        nanos[2 * part + 1] += System.nanoTime() - start;
                        nodes[part] += subgraph.wholeNodes().length;
                    }
                }
                LayerWiseInference.Source whole = store.layerWiseSource();
                int n = whole.nodeCount();
                long start = System.nanoTime();
                whole.targetSlice(0, n);
                double slotLists = (System.nanoTime() - start) / 1e6;
                start = System.nanoTime();
                for (int first = 0; first < n; first += 4096) {
                    whole.featureRows(first, Math.min(n, first + 4096));
                }
                double allRows = (System.nanoTime() - start) / 1e6;
                System.out.printf(Locale.ROOT, "store, Cora, one thread's reads per epoch (run %d): training batches "
                                + "sampled %.0f ms, their feature rows %.0f ms (%d rows); validation in chunks of 32: "
                                + "exact neighbourhoods %.0f ms, their feature rows %.0f ms (%d rows); validation "
                                + "layer by layer: every slot list %.0f ms (once per layer), every feature row %.0f ms "
                                + "(%d rows)%n", run + 1, nanos[0] / 1e6, nanos[1] / 1e6, nodes[0], nanos[2] / 1e6,
                        nanos[3] / 1e6, nodes[1], slotLists, allRows, n);
            }
        }
    }

    private static void synthetic(int nodes, int relationships) throws Exception {
        Path home = Files.createTempDirectory("neogat-bench");
        try (EmbeddedNeo4j neo4j = new EmbeddedNeo4j(home, null)) {
            GraphDatabaseService db = neo4j.db();
            long start = System.nanoTime();
            create(db, nodes, relationships);
            System.out.printf(Locale.ROOT, "synthetic: %d nodes and %d relationships created in %.0f ms%n", nodes,
                    relationships, (System.nanoTime() - start) / 1e6);
            try (Transaction tx = db.beginTx()) {
                for (int repeat = 0; repeat < 3; repeat++) {
                    dev.neogat.procedures.load.LoadedGraph graph = dev.neogat.procedures.load.GraphLoader.load(tx,
                            new dev.neogat.procedures.config.ProjectionConfig(java.util.List.of("Node"),
                                    java.util.List.of("LINK"), dev.neogat.graph.Orientation.UNDIRECTED, true, false,
                                    java.util.List.of("features"), false), "class", null, () -> { }, phase -> { });
                    System.out.printf(Locale.ROOT, "synthetic: loader, run %d: nodes with features and labels %d ms, "
                                    + "%d relationships %d ms (%.2f M/s), with the CSR build %d ms%n", repeat + 1,
                            graph.nodeMillis(),
                            graph.relationshipCount(), graph.relationshipMillis(),
                            graph.relationshipCount() / (graph.relationshipMillis() * 1000.0), graph.loadMillis());
                }
            }
            Map<String, Object> train = db.executeTransactionally("""
                    CALL gat.train('synthetic', {nodeLabels: ['Node'], relationshipTypes: ['LINK'],
                         featureProperties: 'features', labelProperty: 'class', trainFraction: 0.5, valFraction: 0.2,
                         epochs: 3, heads: 4, hiddenChannels: 8})
                    """, Map.of(), r -> r.next());
            long load = (Long) train.get("loadMillis");
            System.out.printf(Locale.ROOT, "synthetic: gat.train loaded %d relationships in %d ms: %.2f M relationships/s"
                    + " (nodes, features, labels and relationships through the procedure's transaction)%n",
                    train.get("relationshipCount"), load, (Long) train.get("relationshipCount") / (load * 1000.0));
            long written = 0;
            long write = 0;
            for (String pass : new String[]{"new properties", "rewriting them"}) {
                Map<String, Object> attention = db.executeTransactionally(
                        "CALL gat.attention.write('synthetic', {attentionProperty: 'attention'})", Map.of(), r -> r.next());
                written = (Long) attention.get("propertiesWritten");
                write = (Long) attention.get("writeMillis");
                System.out.printf(Locale.ROOT, "synthetic: gat.attention.write, %s: %d attention properties in %d ms: "
                        + "%.2f M properties/s%n", pass, written, write, written / (write * 1000.0));
            }
            Map<String, Object> predict = db.executeTransactionally(
                    "CALL gat.predict.write('synthetic', {writeProperty: 'predicted'})", Map.of(), r -> r.next());
            written = (Long) predict.get("propertiesWritten");
            write = (Long) predict.get("writeMillis");
            System.out.printf(Locale.ROOT, "synthetic: gat.predict.write wrote %d predictions in %d ms: %.2f M "
                    + "properties/s%n", written, write, written / (write * 1000.0));
        }
    }

    private static void given(int nodes, int relationships) throws Exception {
        Path home = Files.createTempDirectory("neogat-bench");
        try (EmbeddedNeo4j neo4j = new EmbeddedNeo4j(home, null)) {
            GraphDatabaseService db = neo4j.db();
            create(db, nodes, relationships);
            db.executeTransactionally("""
                    CALL gat.train('given', {nodeLabels: ['Node'], relationshipTypes: ['LINK'],
                         featureProperties: 'features', labelProperty: 'class', trainFraction: 0.5, valFraction: 0.2,
                         epochs: 3, layers: 2, heads: 4, hiddenChannels: 8})
                    """);
            latency(db, "given", "Node", nodes, relationships);
        }
    }

    private static void typedGiven(int items, int relationships) throws Exception {
        Path home = Files.createTempDirectory("neogat-bench");
        try (EmbeddedNeo4j neo4j = new EmbeddedNeo4j(home, null)) {
            GraphDatabaseService db = neo4j.db();
            long start = System.nanoTime();
            int nodes = createTyped(db, items, relationships);
            System.out.printf(Locale.ROOT, "typedGiven: %d nodes (%d items) and %d relationships created in %.0f ms%n",
                    nodes, items, relationships, (System.nanoTime() - start) / 1e6);
            start = System.nanoTime();
            db.executeTransactionally("""
                    CALL gat.train('typedGiven', {nodeLabels: ['Item', 'User', 'Shop', 'Tag'],
                         relationshipTypes: ['RATES', 'SELLS', 'TAGGED', 'SIMILAR'],
                         featureProperties: {Item: 'features', User: 'profile', Shop: 'embedding', Tag: null},
                         relationshipFeatures: {RATES: 'stars', SELLS: 'one', TAGGED: 'one', SIMILAR: 'one'},
                         labelProperty: 'class', trainFraction: 0.5, valFraction: 0.2, typed: true,
                         relationAggregation: 'sum', epochs: 3, layers: 2, heads: 4, hiddenChannels: 8})
                    """);
            System.out.printf(Locale.ROOT, "typedGiven: gat.train (3 epochs) %.0f ms%n",
                    (System.nanoTime() - start) / 1e6);
            latency(db, "typedGiven", "Item", nodes, relationships);
        }
    }

    /**
     * Typed mini-batch gat.train on the typedGiven graph with the projection in the heap and read from the store (a
     * memoryBudget between the two estimates), same seed: load, time per epoch, test accuracy, final loss, and the live
     * heap, sampled by a full collection every second during each run (so both runs' times include those).
     */
    private static void typedStore(int items, int relationships) throws Exception {
        Path home = Files.createTempDirectory("neogat-bench");
        try (EmbeddedNeo4j neo4j = new EmbeddedNeo4j(home, null)) {
            GraphDatabaseService db = neo4j.db();
            long start = System.nanoTime();
            int nodes = createTyped(db, items, relationships);
            System.out.printf(Locale.ROOT, "typedStore: %d nodes (%d items) and %d relationships created in %.0f ms%n",
                    nodes, items, relationships, (System.nanoTime() - start) / 1e6);
            Map<String, Object> featureProperties = new java.util.HashMap<>(Map.of("Item", "features", "User",
                    "profile", "Shop", "embedding"));
            featureProperties.put("Tag", null);
            Map<String, Object> config = new java.util.HashMap<>(Map.of("nodeLabels",
                    java.util.List.of("Item", "User", "Shop", "Tag"), "relationshipTypes",
                    java.util.List.of("RATES", "SELLS", "TAGGED", "SIMILAR"), "featureProperties", featureProperties,
                    "labelProperty", "class", "trainFraction", 0.5, "valFraction", 0.2, "typed", true,
                    "relationAggregation", "sum", "mode", "miniBatch"));
            // The features hold negative noise: scaling rows to sum 1 would divide by sums near zero.
            config.put("normalizeFeatures", false);
            config.putAll(Map.of("batchSize", 256, "fanouts", java.util.List.of(5, 5), "epochs", 3, "patience", 0,
                    "seed", 1, "concurrency", 2, "heads", 4, "hiddenChannels", 8));
            Map<String, Object> sized = db.executeTransactionally("CALL gat.train.estimate($config)",
                    Map.of("config", config), r -> r.next());
            long inHeap = (Long) sized.get("miniBatchBytes");
            long fromStore = (Long) sized.get("storeBatchBytes");
            System.out.printf(Locale.ROOT, "typedStore: estimates: full batch %.1f MiB, mini-batch in the heap %.1f MiB, "
                            + "from the store %.1f MiB%n", (Long) sized.get("fullBatchBytes") / 1048576.0,
                    inHeap / 1048576.0, fromStore / 1048576.0);
            java.util.List<Object> losses = new java.util.ArrayList<>();
            for (String where : new String[]{"heap", "store"}) {
                Map<String, Object> run = new java.util.HashMap<>(config);
                run.put("memoryBudget", where.equals("heap") ? "16GiB" : (fromStore + inHeap) / 2);
                run.put("writeProperty", "typed_" + where);
                long[] liveMost = {0};
                java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
                Thread sampler = new Thread(() -> {
                    Runtime runtime = Runtime.getRuntime();
                    while (running.get()) {
                        System.gc();
                        liveMost[0] = Math.max(liveMost[0], runtime.totalMemory() - runtime.freeMemory());
                        try {
                            Thread.sleep(1000);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                System.gc();
                long before = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
                sampler.start();
                start = System.nanoTime();
                Map<String, Object> row = db.executeTransactionally("CALL gat.train($model, $config) YIELD modeReason, "
                                + "loadMillis, trainMillis, writeMillis, epochs, testAccuracy, finalLoss RETURN *",
                        Map.of("model", "typed_" + where, "config", run), r -> r.next());
                double total = (System.nanoTime() - start) / 1e6;
                running.set(false);
                sampler.join();
                losses.add(row.get("finalLoss"));
                System.out.printf(Locale.ROOT, "typedStore, projection in the %s: gat.train %.0f ms: load %d ms, train "
                                + "%d ms (%d epochs, %.0f ms each, validation included), test accuracy %.1f%%, final "
                                + "loss %.6f, write %d ms; live heap at most %.1f MiB (%.1f MiB before the call)%n",
                        where, total, row.get("loadMillis"), row.get("trainMillis"), row.get("epochs"),
                        ((Long) row.get("trainMillis")).doubleValue() / (Long) row.get("epochs"),
                        100 * (Double) row.get("testAccuracy"), row.get("finalLoss"), row.get("writeMillis"),
                        liveMost[0] / 1048576.0, before / 1048576.0);
                if (where.equals("store")) {
                    System.out.println("typedStore: " + row.get("modeReason"));
                }
            }
            long differing = db.executeTransactionally("MATCH (i:Item) WHERE i.typed_heap <> i.typed_store "
                    + "RETURN count(i) AS n", Map.of(), r -> (Long) r.next().get("n"));
            System.out.printf(Locale.ROOT, "typedStore: same final loss %s, items predicted differently %d%n",
                    losses.get(0).equals(losses.get(1)), differing);
        }
    }

    /** One full gat.predict.stream, then 100 warm calls with 1 and with 100 random nodes of {@code label}. */
    private static void latency(GraphDatabaseService db, String model, String label, int nodes, int relationships) {
        long[] ids = db.executeTransactionally("MATCH (n:" + label + ") RETURN id(n) AS id", Map.of(),
                r -> r.stream().mapToLong(row -> (Long) row.get("id")).toArray());
        String query = "CALL gat.predict.stream('" + model + "', $config) YIELD node, predictedClass "
                + "RETURN count(*) AS rows";
        long start = System.nanoTime();
        db.executeTransactionally(query, Map.of("config", Map.of()), r -> r.next());
        System.out.printf(Locale.ROOT, "%s: full gat.predict.stream over %d nodes, %d relationships: %.0f ms%n",
                model, nodes, relationships, (System.nanoTime() - start) / 1e6);
        SplittableRandom random = new SplittableRandom(7);
        for (int count : new int[]{1, 100}) {
            double[] millis = new double[100];
            for (int call = -20; call < millis.length; call++) {
                java.util.List<Long> given = new java.util.ArrayList<>();
                for (int i = 0; i < count; i++) {
                    given.add(ids[random.nextInt(ids.length)]);
                }
                long callStart = System.nanoTime();
                long rows = db.executeTransactionally(query, Map.of("config", Map.of("nodes", given)),
                        r -> (Long) r.next().get("rows"));
                if (rows != count) {
                    throw new IllegalStateException(rows + " rows for " + count + " nodes");
                }
                if (call >= 0) {
                    millis[call] = (System.nanoTime() - callStart) / 1e6;
                }
            }
            Arrays.sort(millis);
            System.out.printf(Locale.ROOT, "%s: gat.predict.stream with %d node(s), 100 warm calls (after 20): "
                    + "median %.1f ms, p99 %.1f ms, max %.1f ms%n", model, count, millis[49], millis[98], millis[99]);
        }
    }

    /**
     * The typed graph of {@code typedGiven}: items with 16 features around one of 5 class centroids, users, shops and
     * featureless tags; returns the node count.
     */
    private static int createTyped(GraphDatabaseService db, int items, int relationships) {
        SplittableRandom random = new SplittableRandom(3);
        long[][] ids = {new long[items], new long[Math.max(1, items / 4)], new long[Math.max(1, items / 50)],
                new long[Math.max(1, items / 10)]};
        String[] labels = {"Item", "User", "Shop", "Tag"};
        String[] properties = {"features", "profile", "embedding", null};
        int[] widths = {16, 8, 4, 0};
        int batch = 50_000;
        for (int t = 0; t < labels.length; t++) {
            for (int from = 0; from < ids[t].length; from += batch) {
                try (Transaction tx = db.beginTx()) {
                    for (int i = from; i < Math.min(ids[t].length, from + batch); i++) {
                        Node node = tx.createNode(Label.label(labels[t]));
                        int c = random.nextInt(5);
                        if (properties[t] != null) {
                            float[] features = new float[widths[t]];
                            for (int f = 0; f < widths[t]; f++) {
                                features[f] = (f % 5 == c ? 1f : 0f) + (float) random.nextGaussian() * 0.5f;
                            }
                            node.setProperty(properties[t], features);
                        }
                        if (t == 0) {
                            node.setProperty("class", (long) c);
                        }
                        ids[t][i] = nodeId(node);
                    }
                    tx.commit();
                }
            }
        }
        // Of every 10 relationships: 4 RATES (user to item), 1 SELLS (shop to item), 2 TAGGED, 3 SIMILAR.
        int[] kinds = {0, 0, 0, 0, 1, 2, 2, 3, 3, 3};
        for (int from = 0; from < relationships; from += batch) {
            try (Transaction tx = db.beginTx()) {
                for (int r = from; r < Math.min(relationships, from + batch); r++) {
                    long item = ids[0][random.nextInt(items)];
                    Relationship relationship = switch (kinds[r % kinds.length]) {
                        case 0 -> tx.getNodeById(ids[1][random.nextInt(ids[1].length)]).createRelationshipTo(
                                tx.getNodeById(item), RelationshipType.withName("RATES"));
                        case 1 -> tx.getNodeById(ids[2][random.nextInt(ids[2].length)]).createRelationshipTo(
                                tx.getNodeById(item), RelationshipType.withName("SELLS"));
                        case 2 -> tx.getNodeById(item).createRelationshipTo(
                                tx.getNodeById(ids[3][random.nextInt(ids[3].length)]), RelationshipType.withName("TAGGED"));
                        default -> tx.getNodeById(item).createRelationshipTo(
                                tx.getNodeById(ids[0][random.nextInt(items)]), RelationshipType.withName("SIMILAR"));
                    };
                    relationship.setProperty(kinds[r % kinds.length] == 0 ? "stars" : "one",
                            kinds[r % kinds.length] == 0 ? (double) (1 + random.nextInt(5)) : 1.0);
                }
                tx.commit();
            }
        }
        int total = 0;
        for (long[] ofLabel : ids) {
            total += ofLabel.length;
        }
        return total;
    }

    /** Nodes with 16 features around one of 5 class centroids, and random relationships, in batches. */
    private static void create(GraphDatabaseService db, int nodes, int relationships) {
        SplittableRandom random = new SplittableRandom(1);
        long[] ids = new long[nodes];
        int batch = 50_000;
        for (int from = 0; from < nodes; from += batch) {
            try (Transaction tx = db.beginTx()) {
                for (int i = from; i < Math.min(nodes, from + batch); i++) {
                    Node node = tx.createNode(Label.label("Node"));
                    int c = random.nextInt(5);
                    float[] features = new float[16];
                    for (int f = 0; f < 16; f++) {
                        features[f] = (f % 5 == c ? 1f : 0f) + (float) random.nextGaussian() * 0.5f;
                    }
                    node.setProperty("features", features);
                    node.setProperty("class", (long) c);
                    ids[i] = nodeId(node);
                }
                tx.commit();
            }
        }
        RelationshipType link = RelationshipType.withName("LINK");
        for (int from = 0; from < relationships; from += batch) {
            try (Transaction tx = db.beginTx()) {
                for (int r = from; r < Math.min(relationships, from + batch); r++) {
                    Node a = tx.getNodeById(ids[random.nextInt(nodes)]);
                    Node b = tx.getNodeById(ids[random.nextInt(nodes)]);
                    a.createRelationshipTo(b, link);
                }
                tx.commit();
            }
        }
    }

    @SuppressWarnings("deprecation")
    private static long nodeId(Node node) {
        return node.getId();
    }
}
