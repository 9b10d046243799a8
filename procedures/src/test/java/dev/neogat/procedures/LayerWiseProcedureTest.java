package dev.neogat.procedures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.harness.Neo4j;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * {@code memoryBudget}: with a budget too small for full-batch inference, the predict, embed and attention procedures
 * run layer by layer ({@code LayerWiseInference}) and stream and write exactly what the full-batch run gives, for
 * GAT and GATv2 (residual) on a NATURAL and an UNDIRECTED projection; a budget below what even one chunk needs fails
 * naming the minimum and writes nothing; a value that is not a size fails naming the key; progress counts chunks and
 * termination stops a layer-wise write.
 */
class LayerWiseProcedureTest {

    private static final Pattern MINIMUM = Pattern.compile("give at least .* \\((\\d+) bytes\\)");

    @TempDir
    static Path dir;

    private static Neo4j neo4j;
    private static GraphDatabaseService db;

    @BeforeAll
    static void start() {
        neo4j = Harness.start(dir.resolve("server"), null);
        db = Harness.db(neo4j);
        SmallGraph.create(db, 240);
        for (String model : models().toList()) {
            String[] parts = model.split("_");
            Map<String, Object> config = SmallGraph.trainConfig("variant", parts[0], "orientation", parts[1],
                    "layers", 3, "epochs", 10, "residual", true);
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
        return Stream.of("GAT_NATURAL", "GATV2_UNDIRECTED");
    }

    @ParameterizedTest
    @MethodSource("models")
    void streamsEqualTheFullBatchRun(String model) {
        long budget = smallBudget(model);
        String predict = "CALL gat.predict.stream($model, $config) YIELD node, predictedClass, probabilities "
                + "RETURN node.itemId AS item, predictedClass, probabilities ORDER BY item";
        assertSameRows(predict, model, Map.of("includeProbabilities", true), budget);
        String embed = "CALL gat.embed.stream($model, $config) YIELD node, layer, embedding "
                + "RETURN node.itemId AS item, layer, embedding ORDER BY item";
        assertSameRows(embed, model, Map.of("embeddingLayer", 0), budget);
        assertSameRows(embed, model, Map.of(), budget);
        String attention = "CALL gat.attention.stream($model, $config) YIELD source, target, relationship, head, weight "
                + "RETURN source.itemId AS source, target.itemId AS target, "
                + "coalesce(elementId(relationship), 'self') AS relationship, head, weight "
                + "ORDER BY target, source, relationship, head";
        for (int layer = 0; layer < 3; layer++) {
            assertSameRows(attention, model, Map.of("attentionLayer", layer, "attentionHeads", "all"), budget);
        }
        assertSameRows(attention, model, Map.of(), budget);
    }

    @ParameterizedTest
    @MethodSource("models")
    void writesEqualTheFullBatchRun(String model) {
        long budget = smallBudget(model);
        for (String mode : List.of("full", "lw")) {
            Map<String, Object> common = new HashMap<>();
            if (mode.equals("lw")) {
                common.put("memoryBudget", budget);
            }
            Map<String, Object> predict = new HashMap<>(common);
            predict.put("writeProperty", "class_" + mode);
            predict.put("probabilityProperty", "p_" + mode);
            predict.put("writeBatchSize", 17);
            Map<String, Object> embed = new HashMap<>(common);
            embed.put("embeddingProperty", "e_" + mode);
            embed.put("embeddingLayer", 1);
            Map<String, Object> attention = new HashMap<>(common);
            attention.put("attentionProperty", "a_" + mode);
            attention.put("selfAttentionProperty", "self_" + mode);
            attention.put("attentionLayer", 1);
            attention.put("attentionHeads", "all");
            Map<String, Object> predicted = row("CALL gat.predict.write($model, $config) YIELD nodeCount, "
                    + "propertiesWritten RETURN nodeCount, propertiesWritten", model, predict);
            assertThat(predicted.get("propertiesWritten")).isEqualTo(2 * 240L);
            Map<String, Object> embedded = row("CALL gat.embed.write($model, $config) YIELD propertiesWritten, "
                    + "dimension RETURN propertiesWritten, dimension", model, embed);
            assertThat(embedded.get("propertiesWritten")).isEqualTo(240L);
            assertThat(embedded.get("dimension")).isEqualTo(8L);
            Map<String, Object> attended = row("CALL gat.attention.write($model, $config) YIELD propertiesWritten, "
                    + "relationshipCount RETURN propertiesWritten, relationshipCount", model, attention);
            long relationships = (Long) attended.get("relationshipCount");
            long directions = model.endsWith("UNDIRECTED") ? 2 : 1;
            assertThat(attended.get("propertiesWritten")).isEqualTo(240L + directions * relationships);
        }
        List<Map<String, Object>> nodes = rows("MATCH (n:Item) RETURN n.class_full AS cf, n.class_lw AS cl, "
                + "n.p_full AS pf, n.p_lw AS pl, n.e_full AS ef, n.e_lw AS el, n.self_full AS sf, n.self_lw AS sl",
                Map.of());
        assertThat(nodes).hasSize(240);
        for (Map<String, Object> node : nodes) {
            assertThat(node.get("cl")).isNotNull().isEqualTo(node.get("cf"));
            assertThat(node.get("pl")).isNotNull().usingRecursiveComparison().isEqualTo(node.get("pf"));
            assertThat(node.get("el")).isNotNull().usingRecursiveComparison().isEqualTo(node.get("ef"));
            assertThat(node.get("sl")).isNotNull().usingRecursiveComparison().isEqualTo(node.get("sf"));
        }
        List<Map<String, Object>> relationships = rows("MATCH ()-[r:LINKS]->() RETURN r.a_full AS af, r.a_lw AS al, "
                + "r.a_fullReverse AS rf, r.a_lwReverse AS rl", Map.of());
        assertThat(relationships).isNotEmpty();
        for (Map<String, Object> relationship : relationships) {
            assertThat(relationship.get("al")).isNotNull().usingRecursiveComparison().isEqualTo(relationship.get("af"));
            assertThat(relationship.get("rl")).usingRecursiveComparison().isEqualTo(relationship.get("rf"));
        }
        db.executeTransactionally("MATCH (n:Item) REMOVE n.class_full, n.class_lw, n.p_full, n.p_lw, n.e_full, "
                + "n.e_lw, n.self_full, n.self_lw");
        db.executeTransactionally("MATCH ()-[r:LINKS]->() REMOVE r.a_full, r.a_lw, r.a_fullReverse, r.a_lwReverse");
    }

    @Test
    void aBudgetBelowOneChunkFailsAndWritesNothing() {
        Throwable failure = catchThrowable(() -> row("CALL gat.predict.write($model, $config) YIELD nodeCount "
                + "RETURN nodeCount", "GAT_NATURAL", Map.of("writeProperty", "tooSmall", "memoryBudget", "1KiB")));
        assertThat(failure).hasStackTraceContaining("memory budget of 1.0 KiB is too small")
                .hasStackTraceContaining("give at least");
        assertThat(rows("MATCH (n:Item) WHERE n.tooSmall IS NOT NULL RETURN n", Map.of())).isEmpty();
    }

    @Test
    void aBadBudgetFailsNamingTheKey() {
        for (Object bad : List.of("12 parsecs", "1.5XB", -5L, 0L, "lots", 2.5)) {
            Throwable failure = catchThrowable(() -> rows("CALL gat.predict.stream('GAT_NATURAL', $config) "
                    + "YIELD node RETURN count(node)", Map.of("config", Map.of("memoryBudget", bad))));
            assertThat(failure).as("memoryBudget " + bad).hasStackTraceContaining("Configuration 'memoryBudget' must "
                    + "be a memory size, got");
        }
        Throwable typo = catchThrowable(() -> rows("CALL gat.predict.stream('GAT_NATURAL', {memoryBudgte: '1GiB'}) "
                + "YIELD node RETURN count(node)", Map.of()));
        assertThat(typo).hasStackTraceContaining("did you mean 'memoryBudget'");
        // Units are read as powers of 1024 and case is ignored: a generous budget runs full batch.
        assertThat(rows("CALL gat.predict.stream('GAT_NATURAL', {memoryBudget: '64 mib'}) YIELD node "
                + "RETURN count(node) AS n", Map.of()).get(0).get("n")).isEqualTo(240L);
    }

    /**
     * On a graph of 20,000 nodes with a budget of a few nodes per chunk, gat.progress() counts the chunks of a
     * layer-wise write while it runs, and TERMINATE TRANSACTION stops it within two seconds while it writes the last
     * layer's chunks (measured: printed).
     */
    @Test
    void progressCountsChunksAndTerminationStopsALayerWiseWrite(@TempDir Path serverDir) throws Exception {
        try (Neo4j server = Harness.start(serverDir, null)) {
            GraphDatabaseService big = Harness.db(server);
            big.executeTransactionally("""
                    UNWIND range(0, 19999) AS i
                    CREATE (:Item {itemId: i, colour: ['red', 'green', 'blue'][i % 3],
                            split: CASE WHEN i < 300 THEN 'train' WHEN i < 600 THEN 'val' ELSE 'test' END,
                            features: [toFloat(i % 3), toFloat(i % 5), toFloat(i % 7), 1.0]})""");
            big.executeTransactionally("""
                    MATCH (n:Item) WITH collect(n) AS nodes
                    UNWIND range(0, 19999) AS i
                    WITH nodes[i] AS a, nodes[(i * 7 + 1) % 20000] AS b, nodes[(i * 13 + 5) % 20000] AS c
                    CREATE (a)-[:LINKS]->(b), (a)-[:LINKS]->(c)""");
            big.executeTransactionally("CALL gat.train('big', {featureProperties: 'features', labelProperty: 'colour', "
                    + "splitProperty: 'split', epochs: 2, heads: 2, hiddenChannels: 4})");
            Throwable tooSmall = catchThrowable(() -> big.executeTransactionally("CALL gat.predict.write('big', "
                    + "{writeProperty: 'x', memoryBudget: 1}) YIELD nodeCount RETURN nodeCount"));
            Matcher matcher = MINIMUM.matcher(String.valueOf(rootMessage(tooSmall)));
            assertThat(matcher.find()).as(String.valueOf(rootMessage(tooSmall))).isTrue();
            long budget = Long.parseLong(matcher.group(1)) + 2000;
            CompletableFuture<Throwable> write = CompletableFuture.supplyAsync(() -> {
                try {
                    big.executeTransactionally("CALL gat.predict.write('big', {writeProperty: 'predicted', "
                            + "writeBatchSize: 1, memoryBudget: $budget})", Map.of("budget", budget));
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            Map<String, Object> progress = null;
            while (progress == null && System.nanoTime() < deadline && !write.isDone()) {
                // Into the last layer, whose chunks are written as they come.
                List<Map<String, Object>> jobs = big.executeTransactionally("CALL gat.progress() YIELD phase, done, "
                        + "total WHERE phase CONTAINS 'layer by layer' AND done > total / 2 + 10 "
                        + "RETURN phase, done, total",
                        Map.of(), r -> {
                            List<Map<String, Object>> list = new ArrayList<>();
                            r.forEachRemaining(list::add);
                            return list;
                        });
                progress = jobs.isEmpty() ? null : jobs.get(0);
                Thread.sleep(10);
            }
            assertThat(progress).as("a layer-wise write in gat.progress()").isNotNull();
            assertThat((Long) progress.get("total")).as("chunks of both layers").isGreaterThan(1000L)
                    .isGreaterThan((Long) progress.get("done"));
            List<String> ids = big.executeTransactionally("""
                    SHOW TRANSACTIONS YIELD transactionId, currentQuery
                    WHERE currentQuery CONTAINS 'gat.predict.write' AND NOT currentQuery CONTAINS 'SHOW TRANSACTIONS'
                    RETURN transactionId""", Map.of(), r -> r.stream().map(row -> (String) row.get("transactionId"))
                    .toList());
            assertThat(ids).hasSize(1);
            long start = System.nanoTime();
            String message = big.executeTransactionally("TERMINATE TRANSACTION $id", Map.of("id", ids.get(0)),
                    r -> (String) r.next().get("message"));
            assertThat(message).isEqualTo("Transaction terminated.");
            Throwable failure;
            try {
                failure = write.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                StringBuilder dump = new StringBuilder();
                Thread.getAllStackTraces().forEach((thread, stack) -> {
                    String text = java.util.Arrays.toString(stack);
                    if (text.contains("neogat")) {
                        dump.append(thread.getName()).append(": ").append(text.replace(", ", "\n  ")).append("\n");
                    }
                });
                throw new AssertionError("not stopped after 10 s:\n" + dump, e);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("a layer-wise gat.predict.write stopped %.3f s after TERMINATE TRANSACTION (%s of %s "
                    + "chunks done when seen)%n", seconds, progress.get("done"), progress.get("total"));
            assertThat(failure).as("the write fails").isNotNull();
            assertThat(seconds).isLessThan(2.0);
            long jobsLeft = big.executeTransactionally("CALL gat.progress() YIELD jobId RETURN count(*) AS n", Map.of(),
                    r -> (Long) r.next().get("n"));
            assertThat(jobsLeft).as("jobs left in gat.progress()").isZero();
        }
    }

    private static String rootMessage(Throwable failure) {
        StringBuilder messages = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        return messages.toString();
    }

    /**
     * A budget just above the least a layer-wise run needs (read from the error a budget of 1 byte gives), far below
     * what full-batch inference needs: it runs layer by layer in many chunks.
     */
    private static long smallBudget(String model) {
        Throwable failure = catchThrowable(() -> rows("CALL gat.predict.stream($model, {memoryBudget: 1}) YIELD node "
                + "RETURN count(node)", Map.of("model", model)));
        String messages = rootMessage(failure);
        Matcher matcher = MINIMUM.matcher(messages);
        assertThat(matcher.find()).as("the least budget is named: " + messages).isTrue();
        return Long.parseLong(matcher.group(1)) + 3000;
    }

    private static void assertSameRows(String query, String model, Map<String, Object> config, long budget) {
        List<Map<String, Object>> full = rows(query, Map.of("model", model, "config", config));
        Map<String, Object> small = new HashMap<>(config);
        small.put("memoryBudget", budget);
        List<Map<String, Object>> layerWise = rows(query, Map.of("model", model, "config", small));
        assertThat(full).as(query + " " + config).isNotEmpty();
        assertThat(layerWise).as(query + " " + config).isEqualTo(full);
    }

    private static Map<String, Object> row(String query, String model, Map<String, Object> config) {
        return rows(query, Map.of("model", model, "config", config)).get(0);
    }

    private static List<Map<String, Object>> rows(String query, Map<String, Object> parameters) {
        return db.executeTransactionally(query, parameters, result -> {
            List<Map<String, Object>> list = new ArrayList<>();
            result.forEachRemaining(list::add);
            return list;
        });
    }
}
