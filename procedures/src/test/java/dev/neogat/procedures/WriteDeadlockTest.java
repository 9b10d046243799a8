package dev.neogat.procedures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.graphdb.Entity;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Relationship;
import org.neo4j.graphdb.Transaction;
import org.neo4j.graphdb.event.PropertyEntry;
import org.neo4j.graphdb.event.TransactionData;
import org.neo4j.graphdb.event.TransactionEventListenerAdapter;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilder;
import org.neo4j.harness.Neo4jBuilders;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Write-back on a dense graph with hubs, where parallel write transactions used to deadlock on the end
 * nodes of the relationships they changed: every property is written exactly once, with the value the
 * streams give, at 2 and 8 write threads, run after run, and no transaction needs a retry (many of its nodes
 * have exactly 50 relationships, the dense-node threshold, which lock all their relationships: see WriteJobs).
 * A transient failure forced by another transaction holding a node's lock is retried and reported; a write
 * that still fails says exactly what it wrote.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WriteDeadlockTest {

    private static final int NODES = 5_000;
    private static final int OUT_DEGREE = 25;
    private static final int RUNS = 3;

    @TempDir
    static Path dir;

    private Neo4j neo4j;
    private GraphDatabaseService db;
    private long relationships;
    private Map<String, Object> training;
    private final Assignments assignments = new Assignments();

    @BeforeAll
    void createDenseGraphAndTrain() {
        neo4j = Harness.start(dir.resolve("dense"), null);
        db = Harness.db(neo4j);
        relationships = DenseGraph.create(db, NODES, OUT_DEGREE, 7);
        long maxDegree = count("MATCH (n:Item) RETURN max(COUNT { (n)--() }) AS n");
        System.out.printf("Dense graph: %d nodes, %d relationships, largest degree %d%n", NODES, relationships,
                maxDegree);
        neo4j.databaseManagementService().registerTransactionEventListener(GraphDatabaseSettings.DEFAULT_DATABASE_NAME,
                assignments);
        long start = System.nanoTime();
        training = db.executeTransactionally("""
                CALL gat.train('dense', {featureProperties: 'features', labelProperty: 'colour', splitProperty: 'split',
                     epochs: 2, hiddenChannels: 4, heads: 2, concurrency: 8, writeBatchSize: 500,
                     writeProperty: 'predicted', attentionProperty: 'attention'})
                """, Map.of(), r -> r.next());
        System.out.printf("gat.train on the dense graph: %d properties in %d ms (%.1f s in all)%n",
                training.get("propertiesWritten"), training.get("writeMillis"), (System.nanoTime() - start) / 1e9);
    }

    @AfterAll
    void stop() {
        if (neo4j != null) {
            neo4j.close();
        }
    }

    @Test
    void trainWritesPredictionsAndAttentionOnTheDenseGraph() {
        assertThat(training.get("relationshipCount")).isEqualTo(relationships);
        assertThat(training.get("propertiesWritten")).isEqualTo(NODES + 2 * relationships);
        assertThat(training.get("writeRetries")).as("transactions retried: none, the locks are disjoint").isEqualTo(0L);
        assertThat(count("""
                CALL gat.predict.stream('dense') YIELD node, predictedClass
                WITH node, predictedClass WHERE node.predicted IS NULL OR node.predicted <> predictedClass
                RETURN count(*) AS n""")).isZero();
        assertAttentionAsStreamed("attention");
    }

    @ParameterizedTest(name = "{0} write threads")
    @ValueSource(ints = {2, 8})
    void everyPropertyIsWrittenExactlyOnceRunAfterRun(int threads) {
        for (int run = 0; run < RUNS; run++) {
            db.executeTransactionally("MATCH (n:Item) REMOVE n.selfAttention");
            db.executeTransactionally("MATCH ()-[r:LINKS]->() REMOVE r.again, r.againReverse");
            assignments.clear();
            long start = System.nanoTime();
            Map<String, Object> row = db.executeTransactionally("""
                    CALL gat.attention.write('dense', {attentionProperty: 'again', selfAttentionProperty: 'selfAttention',
                         concurrency: $threads, writeBatchSize: 500})
                    YIELD propertiesWritten, writeRetries, writeMillis
                    RETURN propertiesWritten, writeRetries, writeMillis""", Map.of("threads", threads), r -> r.next());
            System.out.printf("%d threads, run %d: %s (%.1f s with inference)%n", threads, run, row,
                    (System.nanoTime() - start) / 1e9);
            assertThat(row.get("propertiesWritten")).isEqualTo(NODES + 2 * relationships);
            assertThat(row.get("writeRetries")).as("transactions retried: none, the locks are disjoint").isEqualTo(0L);
            assertThat(assignments.counts("selfAttention")).as("nodes given selfAttention, each once")
                    .hasSize(NODES).allSatisfy((id, times) -> assertThat(times).isEqualTo(1));
            for (String key : new String[] {"again", "againReverse"}) {
                assertThat(assignments.counts(key)).as("relationships given " + key + ", each once")
                        .hasSize((int) relationships).allSatisfy((id, times) -> assertThat(times).isEqualTo(1));
            }
            assertAttentionAsStreamed("again");
            assertThat(count("""
                    CALL gat.attention.stream('dense') YIELD source, target, relationship, weight
                    WITH source, target, weight WHERE relationship IS NULL
                    WITH source, target, weight WHERE source <> target OR abs(target.selfAttention - weight) > 1e-6
                    RETURN count(*) AS n""")).isZero();
        }
    }

    @Test
    void aTransientFailureIsRetriedAndReported() throws Exception {
        try (Neo4j locking = withLockTimeout(dir.resolve("retry"))) {
            GraphDatabaseService lockingDb = Harness.db(locking);
            SmallGraph.create(lockingDb, 300);
            lockingDb.executeTransactionally("CALL gat.train('small', {featureProperties: 'features', "
                    + "labelProperty: 'colour', splitProperty: 'split', epochs: 3})");
            long node = endOfARelationship(lockingDb);
            CountDownLatch locked = new CountDownLatch(1);
            // Holds the node's lock until gat.progress() shows that a write transaction was retried.
            CompletableFuture<Void> holder = CompletableFuture.runAsync(() -> {
                try (Transaction tx = lockingDb.beginTx()) {
                    tx.acquireWriteLock(tx.getNodeById(node));
                    locked.countDown();
                    awaitRetryInProgress(lockingDb);
                }
            });
            assertThat(locked.await(60, TimeUnit.SECONDS)).isTrue();
            Map<String, Object> row = lockingDb.executeTransactionally("""
                    CALL gat.attention.write('small', {attentionProperty: 'attention', concurrency: 2,
                         writeBatchSize: 20})
                    YIELD relationshipCount, propertiesWritten, writeRetries
                    RETURN relationshipCount, propertiesWritten, writeRetries""", Map.of(), r -> r.next());
            holder.get(60, TimeUnit.SECONDS);
            long relationshipCount = (Long) row.get("relationshipCount");
            assertThat((Long) row.get("writeRetries")).as("retries reported").isGreaterThanOrEqualTo(1L);
            assertThat(row.get("propertiesWritten")).isEqualTo(2 * relationshipCount);
            assertThat(count(lockingDb, """
                    MATCH ()-[r:LINKS]->() WHERE r.attention IS NOT NULL AND r.attentionReverse IS NOT NULL
                    RETURN count(r) AS n""")).isEqualTo(relationshipCount);
        }
    }

    @Test
    void aWriteThatStillFailsSaysExactlyWhatItWrote() throws Exception {
        try (Neo4j locking = withLockTimeout(dir.resolve("failing"))) {
            GraphDatabaseService lockingDb = Harness.db(locking);
            SmallGraph.create(lockingDb, 300);
            lockingDb.executeTransactionally("CALL gat.train('small', {featureProperties: 'features', "
                    + "labelProperty: 'colour', splitProperty: 'split', epochs: 3})");
            long node = endOfARelationship(lockingDb);
            try (Transaction holder = lockingDb.beginTx()) {
                holder.acquireWriteLock(holder.getNodeById(node));
                assertThatThrownBy(() -> lockingDb.executeTransactionally("""
                        CALL gat.attention.write('small', {attentionProperty: 'attention', selfAttentionProperty: 'self',
                             concurrency: 2, writeBatchSize: 20})"""))
                        .satisfies(failure -> {
                            String message = failure.getMessage();
                            System.out.println("The failed write said: " + message.lines().findFirst().orElse(""));
                            Matcher said = Pattern.compile("Writing failed after (\\d+) properties were written "
                                    + "\\(self on (\\d+) nodes, attention on 0 relationships, attentionReverse on 0 "
                                    + "relationships\\) and (\\d+) transactions were retried after transient errors: ")
                                    .matcher(message);
                            assertThat(said.find()).as(message).isTrue();
                            long selfWritten = count(lockingDb, "MATCH (n:Item) WHERE n.self IS NOT NULL RETURN count(n) AS n");
                            assertThat(Long.parseLong(said.group(1))).isEqualTo(selfWritten);
                            assertThat(Long.parseLong(said.group(2))).isEqualTo(selfWritten);
                            assertThat(selfWritten).as("the other batches were written").isBetween(1L, 299L);
                            assertThat(Long.parseLong(said.group(3))).isEqualTo(10L);
                            assertThat(message).contains("NODE with id: " + node + " ");
                        });
            }
            assertThat(count(lockingDb, "MATCH ()-[r]->() WHERE r.attention IS NOT NULL RETURN count(r) AS n")).isZero();
            assertThat(count(lockingDb, "CALL gat.progress() YIELD jobId RETURN count(*) AS n")).isZero();
        }
    }

    /** The written attention of every relationship, both ways, is the streamed one. */
    private void assertAttentionAsStreamed(String key) {
        assertThat(count("""
                CALL gat.attention.stream('dense') YIELD target, relationship, weight
                WITH relationship, target, weight WHERE relationship IS NOT NULL
                WITH CASE WHEN endNode(relationship) = target THEN relationship[$key]
                          ELSE relationship[$key + 'Reverse'] END AS written, weight
                RETURN sum(CASE WHEN written IS NULL OR abs(written - weight) > 1e-6 THEN 1 ELSE 0 END) AS n""",
                Map.of("key", key))).isZero();
    }

    private static Neo4j withLockTimeout(Path home) {
        Neo4jBuilder builder = Neo4jBuilders.newInProcessBuilder(home).withDisabledServer()
                .withConfig(GraphDatabaseSettings.lock_acquisition_timeout, Duration.ofMillis(300));
        for (Class<?> procedures : Harness.PROCEDURES) {
            builder = builder.withProcedure(procedures);
        }
        return builder.build();
    }

    private static long endOfARelationship(GraphDatabaseService db) {
        return count(db, "MATCH (a:Item)-[:LINKS]->() RETURN id(a) AS n ORDER BY n LIMIT 1");
    }

    private static void awaitRetryInProgress(GraphDatabaseService db) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && count(db, """
                CALL gat.progress() YIELD phase WHERE phase CONTAINS 'retried after transient errors'
                RETURN count(*) AS n""") == 0) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private long count(String query) {
        return count(db, query, Map.of());
    }

    private long count(String query, Map<String, Object> parameters) {
        return count(db, query, parameters);
    }

    private static long count(GraphDatabaseService db, String query) {
        return count(db, query, Map.of());
    }

    private static long count(GraphDatabaseService db, String query, Map<String, Object> parameters) {
        return db.executeTransactionally(query, parameters, r -> ((Number) r.next().get("n")).longValue());
    }

    /** Counts, over committed transactions, how often each entity was given each property. */
    private static final class Assignments extends TransactionEventListenerAdapter<Object> {
        private final Map<String, Map<Long, Integer>> byKey = new ConcurrentHashMap<>();

        @Override
        public void afterCommit(TransactionData data, Object state, GraphDatabaseService databaseService) {
            for (PropertyEntry<Node> entry : data.assignedNodeProperties()) {
                record(entry);
            }
            for (PropertyEntry<Relationship> entry : data.assignedRelationshipProperties()) {
                record(entry);
            }
        }

        private void record(PropertyEntry<? extends Entity> entry) {
            byKey.computeIfAbsent(entry.key(), k -> new ConcurrentHashMap<>())
                    .merge(entry.entity().getId(), 1, Integer::sum);
        }

        Map<Long, Integer> counts(String key) {
            return byKey.getOrDefault(key, Map.of());
        }

        void clear() {
            byKey.clear();
        }
    }
}
