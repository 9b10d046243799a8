package dev.neogat.procedures.write;

import org.neo4j.graphdb.Entity;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Transaction;
import org.neo4j.procedure.TerminationGuard;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Writes properties in batches, each batch in its own transaction, several batches at once. Entities are
 * addressed by index 0..count-1; {@link Column}s give a property name and the value for an index (null:
 * write nothing). A failure stops the remaining batches and reports how many properties were written.
 */
public final class PropertyWriter {

    /** Values of one property by entity index. */
    public interface Column {
        String property();

        Object value(int index);
    }

    /** Finds the entity with a given index in a writing transaction. */
    public interface EntityLookup {
        Entity find(Transaction tx, int index);
    }

    private PropertyWriter() {
    }

    public static Column column(String property, java.util.function.IntFunction<Object> values) {
        return new Column() {
            @Override
            public String property() {
                return property;
            }

            @Override
            public Object value(int index) {
                return values.apply(index);
            }
        };
    }

    /** Returns the number of properties written. */
    public static long write(GraphDatabaseService db, int count, EntityLookup lookup, List<Column> columns,
                             int batchSize, int concurrency, TerminationGuard guard, LongConsumer progress) {
        if (columns.isEmpty() || count == 0) {
            return 0;
        }
        AtomicLong written = new AtomicLong();
        int batches = (int) ((count + (long) batchSize - 1) / batchSize);
        AtomicInteger nextBatch = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(concurrency, batches)), runnable -> {
            Thread thread = new Thread(runnable, "neogat-writer");
            thread.setDaemon(true);
            return thread;
        });
        List<Future<?>> workers = new ArrayList<>();
        try {
            for (int w = 0; w < Math.min(concurrency, batches); w++) {
                workers.add(pool.submit(() -> {
                    int batch;
                    while ((batch = nextBatch.getAndIncrement()) < batches) {
                        int start = batch * batchSize;
                        int end = (int) Math.min(count, (long) start + batchSize);
                        long inBatch = 0;
                        try (Transaction tx = db.beginTx()) {
                            for (int index = start; index < end; index++) {
                                Entity entity = lookup.find(tx, index);
                                for (Column column : columns) {
                                    Object value = column.value(index);
                                    if (value != null) {
                                        entity.setProperty(column.property(), value);
                                        inBatch++;
                                    }
                                }
                            }
                            tx.commit();
                        }
                        progress.accept(written.addAndGet(inBatch));
                    }
                    return null;
                }));
            }
            for (Future<?> worker : workers) {
                awaitChecking(worker, guard, nextBatch, batches);
            }
        } catch (ExecutionException e) {
            nextBatch.set(batches);
            Throwable cause = e.getCause();
            IllegalStateException failure = new IllegalStateException("Writing failed after " + written.get()
                    + " properties were written: " + cause.getMessage());
            failure.addSuppressed(cause);
            throw failure;
        } catch (RuntimeException e) {
            nextBatch.set(batches);
            throw e;
        } finally {
            pool.shutdown();
            try {
                pool.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return written.get();
    }

    /** Waits for a worker, checking for termination every 100 ms; on termination no new batch starts. */
    private static void awaitChecking(Future<?> worker, TerminationGuard guard, AtomicInteger nextBatch, int batches)
            throws ExecutionException {
        while (true) {
            try {
                worker.get(100, TimeUnit.MILLISECONDS);
                return;
            } catch (TimeoutException stillRunning) {
                try {
                    guard.check();
                } catch (RuntimeException terminated) {
                    nextBatch.set(batches);
                    throw terminated;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                nextBatch.set(batches);
                throw new IllegalStateException("Interrupted while writing", e);
            }
        }
    }
}
