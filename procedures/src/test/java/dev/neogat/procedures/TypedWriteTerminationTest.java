package dev.neogat.procedures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.graphdb.GraphDatabaseService;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * TERMINATE TRANSACTION stops a typed write-back ({@code WriteBack.writeTyped}) within two seconds while it commits
 * one node or relationship per transaction ({@code writeBatchSize: 1}), in each of its phases: predictions after a
 * full-batch run and after a layer-wise one, self attention, relationship attention and embeddings; also while a typed
 * model with semantic attention predicts layer by layer, and an untyped full-batch write. Seconds are printed; the bound is generous, as the machine is shared.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TypedWriteTerminationTest {

    private static final Pattern MINIMUM = Pattern.compile("give at least .* \\((\\d+) bytes\\)");

    @TempDir
    static Path workingDirectory;

    private EmbeddedNeo4j neo4j;
    private GraphDatabaseService db;

    @BeforeAll
    void createAndTrain() {
        neo4j = new EmbeddedNeo4j(workingDirectory, null);
        db = neo4j.db();
        db.executeTransactionally("CREATE INDEX paperIds FOR (p:Paper) ON (p.paperId)");
        db.executeTransactionally("CALL db.awaitIndexes()");
        PaperGraph.create(db, 41);
        PaperGraph.addPapers(db, new java.util.Random(42), PaperGraph.PAPERS, 20_000, false);
        Map<String, Object> config = TypedProcedureTest.typedConfig();
        config.put("epochs", 2);
        db.executeTransactionally("CALL gat.train('typed', $config)", Map.of("config", config),
                result -> result.stream().count());
        Map<String, Object> semantic = new HashMap<>(config);
        semantic.put("relationAggregation", "attention");
        db.executeTransactionally("CALL gat.train('semantic', $config)", Map.of("config", semantic),
                result -> result.stream().count());
        Map<String, Object> plain = new HashMap<>(config);
        plain.put("typed", false);
        plain.put("featureProperties", "text");
        plain.put("missingFeatures", "zero");
        db.executeTransactionally("CALL gat.train('untyped', $config)", Map.of("config", plain),
                result -> result.stream().count());
    }

    @AfterAll
    void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    @Test
    void fullBatchPredictionWrite() throws Exception {
        assertStopsQuickly("CALL gat.predict.write('typed', {writeProperty: 'stopped', probabilityProperty: "
                + "'stoppedP', writeBatchSize: 1})", Map.of(), "writing node properties", "stopped");
    }

    @Test
    void layerWisePredictionWrite() throws Exception {
        assertStopsQuickly("CALL gat.predict.write('typed', {writeProperty: 'stopped', writeBatchSize: 1, "
                + "memoryBudget: $budget})", Map.of("budget", smallestBudget("typed")), "writing node properties",
                "stopped");
    }

    /** While a typed model with semantic attention predicts layer by layer, before anything is written. */
    @Test
    void layerWisePrediction() throws Exception {
        assertStopsQuickly("CALL gat.predict.write('semantic', {writeProperty: 'stopped', writeBatchSize: 1, "
                + "memoryBudget: $budget})", Map.of("budget", smallestBudget("semantic")), "predicting layer by layer",
                "stopped");
    }

    /** The least budget a layer-wise write of {@code model} accepts, read from its refusal of 1 byte. */
    private long smallestBudget(String model) {
        Throwable tooSmall = catchThrowable(() -> db.executeTransactionally("CALL gat.predict.write($model, "
                + "{writeProperty: 'x', memoryBudget: 1})", Map.of("model", model)));
        Matcher matcher = MINIMUM.matcher(String.valueOf(messages(tooSmall)));
        assertThat(matcher.find()).as(messages(tooSmall)).isTrue();
        return Long.parseLong(matcher.group(1));
    }

    @Test
    void selfAttentionWrite() throws Exception {
        assertStopsQuickly("CALL gat.attention.write('typed', {attentionProperty: 'notReached', selfAttentionProperty: "
                + "'stopped', writeBatchSize: 1})", Map.of(), "writing self attention", "stopped");
        long relationships = db.executeTransactionally("MATCH ()-[r]->() WHERE r.notReached IS NOT NULL "
                + "RETURN count(r) AS n", Map.of(), r -> (Long) r.next().get("n"));
        assertThat(relationships).as("relationships written after the stop").isZero();
    }

    @Test
    void relationshipAttentionWrite() throws Exception {
        assertStopsQuickly("CALL gat.attention.write('typed', {attentionProperty: 'stoppedA', writeBatchSize: 1})",
                Map.of(), "writing relationship properties", null);
        long written = db.executeTransactionally("MATCH ()-[r]->() WHERE r.stoppedA IS NOT NULL RETURN count(r) AS n",
                Map.of(), r -> (Long) r.next().get("n"));
        long all = db.executeTransactionally("MATCH ()-[r]->() RETURN count(r) AS n", Map.of(),
                r -> (Long) r.next().get("n"));
        assertThat(written).as("relationships written before the stop").isLessThan(all);
    }

    @Test
    void embeddingWrite() throws Exception {
        assertStopsQuickly("CALL gat.embed.write('typed', {embeddingProperty: 'stopped', writeBatchSize: 1})",
                Map.of(), "writing embeddings", "stopped");
    }

    @Test
    void untypedPredictionWrite() throws Exception {
        assertStopsQuickly("CALL gat.predict.write('untyped', {writeProperty: 'stopped', writeBatchSize: 1})",
                Map.of(), "writing node properties", "stopped");
    }

    /**
     * Runs {@code query}, terminates it once gat.progress() shows it in {@code phase} with properties committed, and
     * checks it returns within two seconds, having written only part of {@code nodeProperty} (when given), and leaves
     * gat.progress(). The property is removed again.
     */
    private void assertStopsQuickly(String query, Map<String, Object> parameters, String phase, String nodeProperty)
            throws Exception {
        CompletableFuture<Throwable> write = CompletableFuture.supplyAsync(() -> {
            try {
                db.executeTransactionally(query, parameters, r -> r.stream().count());
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        boolean writing = false;
        while (!writing && System.nanoTime() < deadline && !write.isDone()) {
            writing = db.executeTransactionally("CALL gat.progress() YIELD phase, done WHERE phase = $phase "
                    + "AND done > 20 RETURN count(*) AS n", Map.of("phase", phase), r -> (Long) r.next().get("n")) > 0;
            Thread.sleep(10);
        }
        assertThat(writing).as("'" + phase + "' in gat.progress() before the write ended (failure: %s)",
                write.isDone() ? messages(write.get()) : "none").isTrue();
        List<String> ids = db.executeTransactionally("""
                SHOW TRANSACTIONS YIELD transactionId, currentQuery
                WHERE currentQuery CONTAINS 'gat.' AND currentQuery CONTAINS '.write'
                  AND NOT currentQuery CONTAINS 'SHOW TRANSACTIONS'
                RETURN transactionId""", Map.of(), r -> r.stream().map(row -> (String) row.get("transactionId"))
                .toList());
        assertThat(ids).hasSize(1);
        long start = System.nanoTime();
        String message = db.executeTransactionally("TERMINATE TRANSACTION $id", Map.of("id", ids.get(0)),
                r -> (String) r.next().get("message"));
        assertThat(message).isEqualTo("Transaction terminated.");
        Throwable failure;
        try {
            failure = write.get(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("not stopped 30 s after TERMINATE TRANSACTION:\n" + neogatStacks(), e);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("%s stopped %.3f s after TERMINATE TRANSACTION in '%s'%n", query, seconds, phase);
        assertThat(failure).as("the write fails").isNotNull();
        assertThat(seconds).as("seconds from TERMINATE TRANSACTION until the call returned").isLessThan(2.0);
        long jobsLeft = db.executeTransactionally("CALL gat.progress() YIELD jobId RETURN count(*) AS n", Map.of(),
                r -> (Long) r.next().get("n"));
        assertThat(jobsLeft).as("jobs left in gat.progress()").isZero();
        if (nodeProperty != null) {
            long written = db.executeTransactionally("MATCH (n) WHERE n." + nodeProperty + " IS NOT NULL "
                    + "RETURN count(n) AS n", Map.of(), r -> (Long) r.next().get("n"));
            assertThat(written).as("nodes written before the stop").isLessThan(PaperGraph.PAPERS + 20_000L);
            db.executeTransactionally("MATCH (n) REMOVE n." + nodeProperty);
        }
    }

    private static String neogatStacks() {
        StringBuilder dump = new StringBuilder();
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            String text = Arrays.toString(stack);
            if (text.contains("neogat")) {
                dump.append(thread.getName()).append(": ").append(text.replace(", ", "\n  ")).append("\n");
            }
        });
        return dump.toString();
    }

    private static String messages(Throwable failure) {
        StringBuilder messages = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append('\n');
        }
        return messages.toString();
    }
}
