package dev.neogat.procedures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.neo4j.graphdb.GraphDatabaseService;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * {@code memoryBudget} on typed models ({@link PaperGraph}): with the smallest budget a run accepts, far below what
 * full-batch inference takes, gat.predict, gat.embed and gat.attention run layer by layer
 * ({@code TypedLayerWiseInference}) and stream and write what the full-batch run gives (within 1e-6), for 'sum' with
 * GAT and for semantic attention with GATv2, residual, three layers and a label without features; a budget below
 * that minimum fails naming it and writes nothing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TypedLayerWiseProcedureTest {

    private static final Pattern MINIMUM = Pattern.compile("give at least .* \\((\\d+) bytes\\)");

    @TempDir
    static Path workingDirectory;

    private EmbeddedNeo4j neo4j;
    private GraphDatabaseService db;

    @BeforeAll
    void createAndTrain() {
        neo4j = new EmbeddedNeo4j(workingDirectory, null);
        db = neo4j.db();
        PaperGraph.create(db, 29);
        Map<String, Object> plain = TypedProcedureTest.typedConfig();
        plain.put("epochs", 5);
        db.executeTransactionally("CALL gat.train('plain', $config)", Map.of("config", plain),
                result -> result.stream().count());
        Map<String, Object> semantic = TypedProcedureTest.typedConfig();
        semantic.put("epochs", 5);
        semantic.put("layers", 3);
        semantic.put("variant", "GATV2");
        semantic.put("residual", true);
        semantic.put("relationAggregation", "attention");
        Map<String, Object> features = new HashMap<>(Map.of("Paper", "text", "Author", "profile"));
        features.put("Venue", null);
        semantic.put("featureProperties", features);
        db.executeTransactionally("CALL gat.train('semantic', $config)", Map.of("config", semantic),
                result -> result.stream().count());
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

    /**
     * The smallest budget in which {@code query} runs {@code model} with {@code config}, read from its refusal of
     * 1 KiB (which shows the run goes layer by layer: full batch never refuses a budget). The minimum depends on
     * what the run keeps (embeddings, attention), so each query is probed.
     */
    private long smallestBudget(String query, String model, Map<String, Object> config) {
        Map<String, Object> tiny = new HashMap<>(config);
        tiny.put("memoryBudget", "1KiB");
        Throwable failure = catchThrowable(() -> rows(query, Map.of("model", model, "config", tiny)));
        assertThat(failure).hasStackTraceContaining("memory budget of 1.0 KiB is too small");
        Matcher matcher = MINIMUM.matcher(String.valueOf(rootMessage(failure)));
        assertThat(matcher.find()).as(rootMessage(failure)).isTrue();
        return Long.parseLong(matcher.group(1));
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    /**
     * The query's rows in full batch and layer by layer in the smallest budget it takes: the same rows in the same
     * order, numbers within 1e-6.
     */
    private void assertSameRows(String query, String model, Map<String, Object> config) {
        long budget = smallestBudget(query, model, config);
        List<Map<String, Object>> full = rows(query, Map.of("model", model, "config", config));
        Map<String, Object> withBudget = new HashMap<>(config);
        withBudget.put("memoryBudget", budget);
        List<Map<String, Object>> layerWise = rows(query, Map.of("model", model, "config", withBudget));
        assertThat(full).as(query + " " + config).isNotEmpty();
        assertClose(query + " " + config, full, layerWise);
    }

    private static void assertClose(String what, Object expected, Object actual) {
        if (expected instanceof Number e && actual instanceof Number a && (e instanceof Double || a instanceof Double)) {
            assertThat(a.doubleValue()).as(what).isCloseTo(e.doubleValue(),
                    org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, Math.abs(e.doubleValue()))));
        } else if (expected instanceof List<?> e && actual instanceof List<?> a) {
            assertThat(a).as(what).hasSameSizeAs(e);
            for (int i = 0; i < e.size(); i++) {
                assertClose(what + "[" + i + "]", e.get(i), a.get(i));
            }
        } else if (expected instanceof double[] e && actual instanceof double[] a) {
            assertThat(a).as(what).hasSameSizeAs(e);
            for (int i = 0; i < e.length; i++) {
                assertClose(what + "[" + i + "]", e[i], a[i]);
            }
        } else if (expected instanceof float[] e && actual instanceof float[] a) {
            assertThat(a).as(what).hasSameSizeAs(e);
            for (int i = 0; i < e.length; i++) {
                assertClose(what + "[" + i + "]", (double) e[i], (double) a[i]);
            }
        } else if (expected instanceof Map<?, ?> e && actual instanceof Map<?, ?> a) {
            assertThat(a.keySet()).as(what).isEqualTo(e.keySet());
            e.forEach((key, value) -> assertClose(what + "." + key, value, a.get(key)));
        } else {
            assertThat(actual).as(what).isEqualTo(expected);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "semantic"})
    void streamsEqualTheFullBatchRun(String model) {
        assertSameRows("CALL gat.predict.stream($model, $config) YIELD node, predictedClass, probabilities "
                + "RETURN id(node) AS node, predictedClass, probabilities ORDER BY node", model,
                Map.of("includeProbabilities", true));
        String embed = "CALL gat.embed.stream($model, $config) YIELD node, layer, embedding "
                + "RETURN id(node) AS node, layer, embedding ORDER BY node";
        assertSameRows(embed, model, Map.of("embeddingLayer", 0));
        assertSameRows(embed, model, Map.of());
        String attention = "CALL gat.attention.stream($model, $config) YIELD source, target, relationship, relation, "
                + "head, weight RETURN relation, id(source) AS source, id(target) AS target, "
                + "coalesce(elementId(relationship), 'self') AS relationship, head, weight "
                + "ORDER BY relation, target, source, relationship, head";
        int layers = model.equals("semantic") ? 3 : 2;
        for (int layer = 0; layer < layers; layer++) {
            assertSameRows(attention, model, Map.of("attentionLayer", layer, "attentionHeads", "all"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "semantic"})
    void writesEqualTheFullBatchRun(String model) {
        for (String mode : List.of("full", "lw")) {
            Map<String, Object> predict = new HashMap<>();
            predict.put("writeProperty", "class_" + mode);
            predict.put("probabilityProperty", "p_" + mode);
            Map<String, Object> embed = new HashMap<>();
            embed.put("embeddingProperty", "e_" + mode);
            Map<String, Object> attention = new HashMap<>();
            attention.put("attentionProperty", "a_" + mode);
            attention.put("selfAttentionProperty", "self_" + mode);
            attention.put("attentionLayer", 1);
            for (Map.Entry<String, Map<String, Object>> call : Map.of("gat.predict.write", predict, "gat.embed.write",
                    embed, "gat.attention.write", attention).entrySet()) {
                String query = "CALL " + call.getKey() + "($model, $config)";
                Map<String, Object> config = new HashMap<>(call.getValue());
                if (mode.equals("lw")) {
                    config.put("memoryBudget", smallestBudget(query, model, config));
                }
                rows(query, Map.of("model", model, "config", config));
            }
        }
        List<Map<String, Object>> nodes = rows("MATCH (n) WHERE n:Paper OR n:Author OR n:Venue RETURN "
                + "n.class_full AS cf, n.class_lw AS cl, n.p_full AS pf, n.p_lw AS pl, n.e_full AS ef, n.e_lw AS el, "
                + "n.self_full AS sf, n.self_lw AS sl, n:Paper AS paper", Map.of());
        long papers = 0;
        for (Map<String, Object> node : nodes) {
            assertThat(node.get("el")).isNotNull();
            assertClose("embedding", node.get("ef"), node.get("el"));
            if ((Boolean) node.get("paper")) {
                papers++;
                assertThat(node.get("cl")).isNotNull().isEqualTo(node.get("cf"));
                assertThat(node.get("pl")).isNotNull();
                assertClose("probabilities", node.get("pf"), node.get("pl"));
                assertThat(node.get("sl")).isNotNull();
                assertClose("self attention", node.get("sf"), node.get("sl"));
            }
        }
        assertThat(papers).isEqualTo(PaperGraph.PAPERS);
        List<Map<String, Object>> relationships = rows("MATCH ()-[r]->() WHERE r.a_full IS NOT NULL "
                + "OR r.a_lw IS NOT NULL RETURN r.a_full AS af, r.a_lw AS al", Map.of());
        assertThat(relationships).isNotEmpty();
        for (Map<String, Object> relationship : relationships) {
            assertThat(relationship.get("al")).isNotNull();
            assertClose("relationship attention", relationship.get("af"), relationship.get("al"));
        }
        db.executeTransactionally("MATCH (n) REMOVE n.class_full, n.class_lw, n.p_full, n.p_lw, n.e_full, n.e_lw, "
                + "n.self_full, n.self_lw");
        db.executeTransactionally("MATCH ()-[r]->() REMOVE r.a_full, r.a_lw, r.a_fullReverse, r.a_lwReverse");
    }

    /**
     * On {@link PaperGraph} grown to 20,300 papers, semantic attention and the smallest budget (chunks of a few
     * rows): gat.progress() counts the chunks of a layer-wise gat.predict.write while it runs, and the write then
     * gives every paper its class. (Termination between chunks is {@code TypedLayerWiseInferenceTest}'s.)
     */
    @Test
    void progressCountsTheChunksOfALayerWiseRun(@TempDir Path serverDir) throws Exception {
        try (EmbeddedNeo4j server = new EmbeddedNeo4j(serverDir, null)) {
            GraphDatabaseService big = server.db();
            big.executeTransactionally("CREATE INDEX paperIds FOR (p:Paper) ON (p.paperId)");
            big.executeTransactionally("CALL db.awaitIndexes()");
            PaperGraph.create(big, 31);
            PaperGraph.addPapers(big, new java.util.Random(32), PaperGraph.PAPERS, 20_000, false);
            Map<String, Object> config = TypedProcedureTest.typedConfig();
            config.put("epochs", 2);
            config.put("relationAggregation", "attention");
            big.executeTransactionally("CALL gat.train('big', $config)", Map.of("config", config),
                    result -> result.stream().count());
            Throwable tooSmall = catchThrowable(() -> big.executeTransactionally("CALL gat.predict.write('big', "
                    + "{writeProperty: 'x', memoryBudget: 1})"));
            Matcher matcher = MINIMUM.matcher(String.valueOf(rootMessage(tooSmall)));
            assertThat(matcher.find()).as(rootMessage(tooSmall)).isTrue();
            long budget = Long.parseLong(matcher.group(1));
            java.util.concurrent.CompletableFuture<Throwable> write = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> {
                        try {
                            big.executeTransactionally("CALL gat.predict.write('big', {writeProperty: 'predicted', "
                                    + "memoryBudget: $budget})", Map.of("budget", budget));
                            return null;
                        } catch (Throwable t) {
                            return t;
                        }
                    });
            Map<String, Object> progress = null;
            while (progress == null && !write.isDone()) {
                List<Map<String, Object>> jobs = big.executeTransactionally("CALL gat.progress() YIELD phase, done, "
                        + "total WHERE phase = 'predicting layer by layer' AND done > 0 RETURN phase, done, total",
                        Map.of(), result -> result.stream().toList());
                progress = jobs.isEmpty() ? null : jobs.get(0);
                Thread.sleep(5);
            }
            assertThat(write.get(120, java.util.concurrent.TimeUnit.SECONDS)).as("the write's failure").isNull();
            assertThat(progress).as("a layer-wise run in gat.progress()").isNotNull();
            System.out.printf("gat.progress() during a typed layer-wise write: %s of %s chunks%n", progress.get("done"),
                    progress.get("total"));
            assertThat((Long) progress.get("total")).as("chunks of both layers").isGreaterThan(100L)
                    .isGreaterThanOrEqualTo((Long) progress.get("done"));
            long written = big.executeTransactionally("MATCH (p:Paper) WHERE p.predicted IS NOT NULL "
                    + "RETURN count(p) AS n", Map.of(), result -> (Long) result.next().get("n"));
            assertThat(written).isEqualTo(PaperGraph.PAPERS + 20_000L);
        }
    }

    @Test
    void aBudgetBelowTheSmallestFailsNamingItAndWritesNothing() {
        long smallest = smallestBudget("CALL gat.predict.write($model, $config)", "semantic",
                Map.of("writeProperty", "tooSmall"));
        Throwable failure = catchThrowable(() -> rows("CALL gat.predict.write('semantic', $config)",
                Map.of("config", Map.of("writeProperty", "tooSmall", "memoryBudget", smallest - 1))));
        assertThat(failure).hasStackTraceContaining("is too small for this inference")
                .hasStackTraceContaining("(" + smallest + " bytes)");
        assertThat(rows("MATCH (n) WHERE n.tooSmall IS NOT NULL RETURN n", Map.of())).isEmpty();
        // A generous budget runs full batch, as an untyped model's does.
        assertThat(rows("CALL gat.predict.stream('semantic', {memoryBudget: '64 mib'}) YIELD node "
                + "RETURN count(node) AS n", Map.of()).get(0).get("n")).isEqualTo((long) PaperGraph.PAPERS);
    }
}
