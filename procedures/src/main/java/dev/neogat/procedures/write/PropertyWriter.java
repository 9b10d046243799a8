package dev.neogat.procedures.write;

import org.neo4j.graphdb.Entity;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Transaction;
import org.neo4j.graphdb.TransientFailureException;
import org.neo4j.kernel.api.exceptions.Status;
import org.neo4j.procedure.TerminationGuard;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;

/**
 * Writes properties in transactions of at most {@code batchSize} entities, several transactions at once on
 * disjoint nodes ({@link WriteJobs}). Entities are addressed by index 0..count-1; {@link Column}s give a
 * property name and the value for an index (null: write nothing).
 *
 * <p>A transaction that fails on a transient error (a deadlock or lock timeout against another query) is
 * rolled back and retried with exponential backoff, up to {@link #MAX_RETRIES} times. Any other failure,
 * or running out of retries, stops the write: the transactions in flight are terminated and the error
 * says exactly which properties were committed ({@link WriteTally}).
 */
public final class PropertyWriter {

    /** Retries of one transaction before the write fails. */
    static final int MAX_RETRIES = 10;
    private static final long FIRST_BACKOFF_MILLIS = 20;
    private static final long MAX_BACKOFF_MILLIS = 1_000;

    /** Values of one property by entity index, and how many of them were committed. */
    public static final class Column {
        private final String property;
        private final IntFunction<Object> values;
        private final LongAdder written = new LongAdder();

        private Column(String property, IntFunction<Object> values) {
            this.property = property;
            this.values = values;
        }

        public String property() {
            return property;
        }

        Object value(int index) {
            return values.apply(index);
        }

        public long written() {
            return written.sum();
        }
    }

    /** Finds the entity with a given index in a writing transaction. */
    public interface EntityLookup {
        Entity find(Transaction tx, int index);
    }

    /** Hears of committed properties (counted within one call) and of each retry. */
    public interface Listener {
        void written(long propertiesSoFar);

        void retried(long retriesSoFar, RuntimeException cause);
    }

    private PropertyWriter() {
    }

    public static Column column(String property, IntFunction<Object> values) {
        return new Column(property, values);
    }

    /** Writes node properties: node ranges in parallel, as each locks only its own nodes. */
    public static void writeNodes(GraphDatabaseService db, int nodeCount, EntityLookup lookup, List<Column> columns,
                                  int batchSize, int concurrency, TerminationGuard guard, WriteTally tally,
                                  Listener listener) {
        if (columns.isEmpty() || nodeCount == 0) {
            return;
        }
        run(db, WriteJobs.nodeRanges(nodeCount, batchSize), lookup, columns, batchSize, concurrency, guard, tally,
                listener);
    }

    /**
     * Writes relationship properties; relationship {@code r} joins the nodes with indices {@code startNode[r]}
     * and {@code endNode[r]}, and transactions that run at once never share an end node, nor two of the nodes
     * flagged in {@code chainLockingNodes} (may be null; see {@link WriteJobs}).
     */
    public static void writeRelationships(GraphDatabaseService db, int nodeCount, int[] startNode, int[] endNode,
                                          boolean[] chainLockingNodes, EntityLookup lookup, List<Column> columns,
                                          int batchSize, int concurrency, TerminationGuard guard, WriteTally tally,
                                          Listener listener) {
        if (columns.isEmpty() || startNode.length == 0) {
            return;
        }
        int partitions = partitions(startNode.length, nodeCount, batchSize, concurrency);
        run(db, WriteJobs.relationshipCells(nodeCount, startNode, endNode, chainLockingNodes, partitions), lookup,
                columns, batchSize, concurrency, guard, tally, listener);
    }

    /**
     * Node partitions for relationship writes: 2 per thread, so each thread can hold a pair; fewer when the
     * cells (about partitions² / 2 of them, each at least one transaction) would be much smaller than a
     * batch, as every commit costs a log flush.
     */
    static int partitions(int relationshipCount, int nodeCount, int batchSize, int concurrency) {
        if (concurrency <= 1 || nodeCount < 2) {
            return 1;
        }
        int forBatches = (int) Math.ceil(Math.sqrt(2.0 * relationshipCount / batchSize));
        return Math.min(nodeCount, Math.max(2, Math.min(2 * concurrency, forBatches)));
    }

    private static void run(GraphDatabaseService db, WriteJobs jobs, EntityLookup lookup, List<Column> columns,
                            int batchSize, int concurrency, TerminationGuard guard, WriteTally tally,
                            Listener listener) {
        int threads = Math.max(1, Math.min(concurrency, jobs.jobCount()));
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Set<Transaction> open = ConcurrentHashMap.newKeySet();
        AtomicLong written = new AtomicLong();
        CountDownLatch finished = new CountDownLatch(threads);
        Worker worker = new Worker(db, jobs, lookup, columns, batchSize, tally, listener, open, written, failure);
        for (int t = 0; t < threads; t++) {
            Thread thread = new Thread(() -> {
                try {
                    worker.run();
                } finally {
                    finished.countDown();
                }
            }, "neogat-writer-" + t);
            thread.setDaemon(true);
            thread.start();
        }
        RuntimeException terminated = null;
        try {
            while (!finished.await(100, TimeUnit.MILLISECONDS)) {
                if (failure.get() != null) {
                    stop(jobs, open);
                }
                try {
                    guard.check();
                } catch (RuntimeException e) {
                    terminated = e;
                    // workers see a failure and start no further batch of their job
                    failure.compareAndSet(null, e);
                    stop(jobs, open);
                    break;
                }
            }
            // Wait for every transaction to end, so the counts below are final.
            finished.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            terminated = new IllegalStateException("Interrupted while writing; " + tally.describe(), e);
            failure.compareAndSet(null, terminated);
            stop(jobs, open);
        }
        if (terminated != null) {
            throw terminated;
        }
        RuntimeException cause = failure.get();
        if (cause != null) {
            // Neo4j shows users the deepest cause's message: keep ours on top, the original as suppressed.
            IllegalStateException failed = new IllegalStateException("Writing failed after " + tally.describe()
                    + ": " + cause.getMessage());
            failed.addSuppressed(cause);
            throw failed;
        }
    }

    /** Hands out no more jobs and terminates the transactions in flight (their locks are released). */
    private static void stop(WriteJobs jobs, Set<Transaction> open) {
        jobs.stop();
        for (Transaction tx : open) {
            try {
                tx.terminate();
            } catch (RuntimeException alreadyClosed) {
                // it ended between the listing and the call: nothing to stop
            }
        }
    }

    /** The loop every writer thread runs: take a job, write it batch by batch, each batch retried when transient. */
    private record Worker(GraphDatabaseService db, WriteJobs jobs, EntityLookup lookup, List<Column> columns,
                          int batchSize, WriteTally tally, Listener listener, Set<Transaction> open,
                          AtomicLong written, AtomicReference<RuntimeException> failure) {

        void run() {
            try {
                WriteJobs.Job job;
                while ((job = jobs.take()) != null) {
                    try {
                        for (int from = job.from(); from < job.to() && failure.get() == null; from += batchSize) {
                            writeBatch(job, from, (int) Math.min(job.to(), (long) from + batchSize));
                        }
                    } finally {
                        jobs.finished(job);
                    }
                }
            } catch (RuntimeException e) {
                if (failure.compareAndSet(null, e)) {
                    jobs.stop();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure.compareAndSet(null, new IllegalStateException("Interrupted while writing", e));
                jobs.stop();
            }
        }

        private void writeBatch(WriteJobs.Job job, int from, int to) throws InterruptedException {
            for (int attempt = 0; ; attempt++) {
                long[] inBatch = new long[columns.size()];
                try (Transaction tx = db.beginTx()) {
                    open.add(tx);
                    if (failure.get() != null) {
                        // stop() may have terminated the open transactions before this one was among them
                        tx.terminate();
                    }
                    try {
                        for (int position = from; position < to; position++) {
                            int index = job.entity(position);
                            Entity entity = lookup.find(tx, index);
                            for (int c = 0; c < inBatch.length; c++) {
                                Object value = columns.get(c).value(index);
                                if (value != null) {
                                    entity.setProperty(columns.get(c).property(), value);
                                    inBatch[c]++;
                                }
                            }
                        }
                        tx.commit();
                    } finally {
                        open.remove(tx);
                    }
                } catch (RuntimeException e) {
                    if (attempt >= MAX_RETRIES || !isRetryable(e) || failure.get() != null) {
                        throw e;
                    }
                    listener.retried(tally.retried(), e);
                    backOff(attempt);
                    continue;
                }
                long sum = 0;
                for (int c = 0; c < inBatch.length; c++) {
                    columns.get(c).written.add(inBatch[c]);
                    sum += inBatch[c];
                }
                listener.written(written.addAndGet(sum));
                return;
            }
        }

        /** Sleeps 20 ms, 40 ms, ... up to 1 s, jittered so that transactions that collided do not collide again. */
        private void backOff(int attempt) throws InterruptedException {
            long ceiling = Math.min(MAX_BACKOFF_MILLIS, FIRST_BACKOFF_MILLIS << Math.min(attempt, 20));
            long sleep = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(sleep);
            while (failure.get() == null && System.nanoTime() < until) {
                Thread.sleep(Math.min(20, sleep));
            }
        }
    }

    /**
     * Whether a failed transaction may succeed when run again: a transient Neo4j error (deadlock, lock
     * timeout), as the Neo4j drivers decide, except a transaction that was terminated or whose lock client
     * was stopped.
     */
    static boolean isRetryable(Throwable failure) {
        boolean transientError = false;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof Status.HasStatus hasStatus) {
                Status status = hasStatus.status();
                if (status == Status.Transaction.Terminated || status == Status.Transaction.LockClientStopped) {
                    return false;
                }
                transientError |= status.code().classification() == Status.Classification.TransientError;
            }
            transientError |= t instanceof TransientFailureException;
        }
        return transientError;
    }
}
