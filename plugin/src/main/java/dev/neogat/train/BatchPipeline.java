package dev.neogat.train;

import dev.neogat.util.TerminationFlag;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Prepares the items of a sequence (the batches of an epoch, the chunks of an evaluation or a write-back) on worker
 * threads ahead of the calling thread, which consumes them one at a time in sequence order. An item is a pure
 * function of its index and the sources, and the consumer sees the items in the same order whatever the number of
 * workers, so the results are the same at any concurrency. At most {@code workers + 1} items are prepared or being
 * prepared ahead of the consumer, which bounds the memory they hold: with the one being consumed,
 * {@link dev.neogat.model.MemoryEstimate#batchesHeld} items at once, which the store-backed estimate counts.
 *
 * <p>Each worker reads through a reader of its own (a {@link BatchReader}, or a typed one; a store's reader holds its own read
 * transaction),
 * opened and closed on the worker's thread. With no workers the calling thread prepares each item itself, with the
 * caller's reader, just before it consumes it. The caller waits for an item in slices of {@link #WAIT_MILLIS} and
 * checks the termination flag between them; workers check it before each item.
 */
final class BatchPipeline<R extends AutoCloseable> {

    /** Prepares item {@code index} with {@code reader}. */
    @FunctionalInterface
    interface Preparation<R, T> {
        T prepare(R reader, int index);
    }

    /** Consumes item {@code index}, in sequence order, on the calling thread. */
    @FunctionalInterface
    interface Consumption<T> {
        void consume(int index, T item);
    }

    private static final long WAIT_MILLIS = 100;
    /** How long the caller waits for workers to finish their item once the sequence ends or fails. */
    private static final long JOIN_MILLIS = 2_000;
    private static final AtomicInteger THREAD_IDS = new AtomicInteger();

    private final R callerReader;
    private final Supplier<R> workerReaders;
    private final int workers;

    /**
     * @param callerReader  what the calling thread reads with when there are no workers
     * @param workerReaders opens one reader per worker, on the worker's thread
     * @param workers       threads preparing items ahead (0: the caller prepares them)
     */
    BatchPipeline(R callerReader, Supplier<R> workerReaders, int workers) {
        if (workers < 0) {
            throw new IllegalArgumentException("workers must be at least 0, got " + workers);
        }
        this.callerReader = callerReader;
        this.workerReaders = workerReaders;
        this.workers = workers;
    }

    /** One thread: the caller prepares and consumes each item in turn. */
    static BatchPipeline<BatchReader> inline(BatchReader reader) {
        return new BatchPipeline<>(reader, () -> reader, 0);
    }

    /** Over sources every thread may read at once: {@code workers} threads share {@code reader}. */
    static BatchPipeline<BatchReader> shared(BatchReader reader, int workers) {
        return new BatchPipeline<>(reader, () -> BatchReader.of(reader.graph(), reader.features()), workers);
    }

    /** Worker threads for {@code concurrency}: none for 1 (the caller prepares), else one per thread. */
    static int workersFor(int concurrency) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
        }
        return concurrency == 1 ? 0 : concurrency;
    }

    int workers() {
        return workers;
    }

    /** Prepares items [0, count) and hands each to {@code consume} in order; stops when terminated. */
    <T> void run(int count, TerminationFlag termination, Preparation<R, T> prepare, Consumption<T> consume) {
        int threads = Math.min(workers, count);
        if (threads == 0) {
            for (int i = 0; i < count; i++) {
                termination.assertRunning();
                consume.consume(i, prepare.prepare(callerReader, i));
            }
            return;
        }
        new Run<>(count, threads, termination, prepare).consumeAll(consume);
    }

    /** One sequence on worker threads. */
    private final class Run<T> {
        private final int count;
        private final TerminationFlag termination;
        private final Preparation<R, T> prepare;
        private final CompletableFuture<T>[] items;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Object window = new Object();
        private final int ahead;
        private final Thread[] threads;
        /** Items consumed so far; a worker prepares item i only when i < consumed + ahead. */
        private int consumed;
        private boolean stopped;

        @SuppressWarnings("unchecked")
        Run(int count, int threadCount, TerminationFlag termination, Preparation<R, T> prepare) {
            this.count = count;
            this.termination = termination;
            this.prepare = prepare;
            this.items = new CompletableFuture[count];
            for (int i = 0; i < count; i++) {
                items[i] = new CompletableFuture<>();
            }
            this.ahead = threadCount + 1;
            this.threads = new Thread[threadCount];
            int id = THREAD_IDS.incrementAndGet();
            for (int t = 0; t < threadCount; t++) {
                threads[t] = new Thread(this::work, "neogat-batches-" + id + "-" + (t + 1));
                threads[t].setDaemon(true);
            }
        }

        void consumeAll(Consumption<T> consume) {
            for (Thread thread : threads) {
                thread.start();
            }
            try {
                for (int i = 0; i < count; i++) {
                    T item = await(i);
                    items[i] = null;
                    synchronized (window) {
                        consumed = i + 1;
                        window.notifyAll();
                    }
                    consume.consume(i, item);
                }
            } finally {
                synchronized (window) {
                    stopped = true;
                    window.notifyAll();
                }
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JOIN_MILLIS);
                for (Thread thread : threads) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left > 0) {
                        try {
                            thread.join(left);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            break;
                        }
                    }
                }
            }
        }

        private T await(int index) {
            CompletableFuture<T> item = items[index];
            while (true) {
                termination.assertRunning();
                try {
                    return item.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    Throwable failed = failure.get();
                    if (failed != null && !item.isDone()) {
                        throw rethrown(failed);
                    }
                } catch (ExecutionException e) {
                    throw rethrown(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("Interrupted while waiting for a batch", e);
                }
            }
        }

        private void work() {
            try (R reader = workerReaders.get()) {
                int index;
                while ((index = next.getAndIncrement()) < count) {
                    if (!awaitWindow(index)) {
                        return;
                    }
                    try {
                        termination.assertRunning();
                        items[index].complete(prepare.prepare(reader, index));
                    } catch (Throwable t) {
                        items[index].completeExceptionally(t);
                        throw t;
                    }
                }
            } catch (Throwable t) {
                // The caller rethrows it when it waits for an item no worker is left to prepare.
                failure.compareAndSet(null, t);
            }
        }

        /** Waits until {@code index} is within the window; false once the sequence was stopped. */
        private boolean awaitWindow(int index) throws InterruptedException {
            synchronized (window) {
                while (!stopped && index >= consumed + ahead) {
                    window.wait(WAIT_MILLIS);
                }
                return !stopped;
            }
        }
    }

    private static RuntimeException rethrown(Throwable t) {
        if (t instanceof RuntimeException re) {
            return re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }
}
