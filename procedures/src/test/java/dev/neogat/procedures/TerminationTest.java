package dev.neogat.procedures;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.harness.Neo4j;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A training terminated with TERMINATE TRANSACTION stops within a second, leaves no model in the catalog,
 * writes nothing and leaves gat.progress(); two trainings at once do not interfere.
 */
class TerminationTest {

    @TempDir
    Path dir;

    @Test
    void terminatedTrainingStopsQuicklyAndLeavesNothingBehind() throws Exception {
        try (Neo4j neo4j = Harness.start(dir, null)) {
            GraphDatabaseService db = Harness.db(neo4j);
            SmallGraph.create(db, 300);
            CompletableFuture<Throwable> training = CompletableFuture.supplyAsync(() -> {
                try {
                    db.executeTransactionally("""
                            CALL gat.train('endless', {featureProperties: 'features', labelProperty: 'colour',
                                 splitProperty: 'split', epochs: 1000000, patience: 0, writeProperty: 'neverWritten'})
                            """);
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            });
            String transactionId = awaitTraining(db);
            long start = System.nanoTime();
            String message = db.executeTransactionally("TERMINATE TRANSACTION $id", Map.of("id", transactionId),
                    r -> (String) r.next().get("message"));
            assertThat(message).isEqualTo("Transaction terminated.");
            Throwable failure = training.get(30, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("gat.train stopped %.3f s after TERMINATE TRANSACTION%n", seconds);
            assertThat(failure).as("the training call fails").isNotNull();
            assertThat(seconds).as("seconds until the procedure returned").isLessThan(2.0);
            assertThat(models(db)).doesNotContain("endless");
            assertThat(count(db, "MATCH (n) WHERE n.neverWritten IS NOT NULL RETURN count(n) AS n")).isZero();
            assertThat(count(db, "CALL gat.progress() YIELD jobId RETURN count(*) AS n")).isZero();
            // the name is free again
            db.executeTransactionally("CALL gat.train('endless', {featureProperties: 'features', labelProperty: 'colour', "
                    + "splitProperty: 'split', epochs: 3})");
            assertThat(models(db)).contains("endless");
        }
    }

    /** Waits until the training runs epochs; returns its transaction id. */
    private static String awaitTraining(GraphDatabaseService db) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            long epoch = count(db, "CALL gat.progress() YIELD epoch RETURN coalesce(max(epoch), 0) AS n");
            if (epoch >= 5) {
                List<String> ids = db.executeTransactionally("""
                        SHOW TRANSACTIONS YIELD transactionId, currentQuery
                        WHERE currentQuery CONTAINS 'gat.train' AND NOT currentQuery CONTAINS 'SHOW TRANSACTIONS'
                        RETURN transactionId""", Map.of(), r -> r.stream().map(row -> (String) row.get("transactionId"))
                        .toList());
                assertThat(ids).hasSize(1);
                return ids.get(0);
            }
            Thread.sleep(20);
        }
        throw new AssertionError("The training did not start within 60 s");
    }

    @Test
    void twoTrainingsAtOnceDoNotInterfere() throws Exception {
        try (Neo4j neo4j = Harness.start(dir, null)) {
            GraphDatabaseService db = Harness.db(neo4j);
            SmallGraph.create(db, 150);
            String query = """
                    CALL gat.train($name, {featureProperties: 'features', labelProperty: 'colour', splitProperty: 'split',
                         epochs: 60, variant: $variant, seed: $seed, writeProperty: $name})
                    YIELD testAccuracy RETURN testAccuracy""";
            CompletableFuture<Double> first = CompletableFuture.supplyAsync(() -> db.executeTransactionally(query,
                    Map.of("name", "first", "variant", "gat", "seed", 1), r -> (Double) r.next().get("testAccuracy")));
            CompletableFuture<Double> second = CompletableFuture.supplyAsync(() -> db.executeTransactionally(query,
                    Map.of("name", "second", "variant", "gatv2", "seed", 2), r -> (Double) r.next().get("testAccuracy")));
            assertThat(first.get(120, TimeUnit.SECONDS)).isGreaterThan(0.9);
            assertThat(second.get(120, TimeUnit.SECONDS)).isGreaterThan(0.9);
            assertThat(models(db)).contains("first", "second");
            // each run wrote its own property on every node, and the two models agree with their own streams
            for (String name : List.of("first", "second")) {
                assertThat(count(db, "MATCH (n:Item) WHERE n." + name + " IS NULL RETURN count(n) AS n")).isZero();
                assertThat(count(db, "CALL gat.predict.stream('" + name + "') YIELD node, predictedClass "
                        + "WHERE node." + name + " <> predictedClass RETURN count(*) AS n")).isZero();
            }
        }
    }

    private static List<String> models(GraphDatabaseService db) {
        return db.executeTransactionally("CALL gat.model.list() YIELD name RETURN name", Map.of(),
                r -> r.stream().map(row -> (String) row.get("name")).toList());
    }

    private static long count(GraphDatabaseService db, String query) {
        return db.executeTransactionally(query, Map.of(), r -> ((Number) r.next().get("n")).longValue());
    }
}
