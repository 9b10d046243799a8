package dev.neogat.util;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Parallel loops over fixed chunks. A loop over {@code n} items with grain {@code g} always has the
 * same chunks ([0,g), [g,2g), ...) whatever the number of threads; a chunk is computed by one thread,
 * in order. Reductions write one partial per chunk and sum the partials in chunk order, so results are
 * bit-identical for any concurrency.
 *
 * <p>The calling thread works too; helper threads take chunks from a shared counter. Before each chunk
 * the {@link TerminationFlag} is checked, so a terminated computation stops within one chunk.
 */
public final class Parallel implements AutoCloseable {

    /** Body of a chunked loop: items [start, end) of chunk number {@code chunk}. */
    @FunctionalInterface
    public interface ChunkBody {
        void run(int chunk, int start, int end);
    }

    /** Body of a range loop: items [start, end). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    private static final AtomicInteger POOL_IDS = new AtomicInteger();

    private final int concurrency;
    private final TerminationFlag terminationFlag;
    private final ExecutorService helpers;

    public Parallel(int concurrency, TerminationFlag terminationFlag) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
        }
        this.concurrency = concurrency;
        this.terminationFlag = terminationFlag;
        this.helpers = concurrency == 1 ? null : newHelperPool(concurrency - 1);
    }

    /** One thread, never terminated: for tests and small inputs. */
    public static Parallel sequential() {
        return new Parallel(1, TerminationFlag.RUNNING);
    }

    public int concurrency() {
        return concurrency;
    }

    public TerminationFlag terminationFlag() {
        return terminationFlag;
    }

    public static int chunkCount(int n, int grain) {
        return n == 0 ? 0 : (int) ((n + (long) grain - 1) / grain);
    }

    /** Runs {@code body} for the items [0, n) in chunks of {@code grain}. */
    public void forRange(int n, int grain, RangeBody body) {
        forChunks(n, grain, (chunk, start, end) -> body.run(start, end));
    }

    /** Runs {@code body} for every chunk of [0, n); the chunk index identifies a reduction partial. */
    public void forChunks(int n, int grain, ChunkBody body) {
        if (grain < 1) {
            throw new IllegalArgumentException("grain must be at least 1, got " + grain);
        }
        if (n < 0) {
            throw new IllegalArgumentException("A loop cannot have " + n + " items");
        }
        int chunks = chunkCount(n, grain);
        if (chunks == 0) {
            return;
        }
        Loop loop = new Loop(n, grain, chunks, body, terminationFlag);
        int helpersWanted = helpers == null ? 0 : Math.min(concurrency, chunks) - 1;
        for (int i = 0; i < helpersWanted; i++) {
            helpers.execute(loop);
        }
        loop.work();
        loop.awaitAllChunks();
        loop.rethrowFailure();
    }

    @Override
    public void close() {
        if (helpers != null) {
            helpers.shutdownNow();
        }
    }

    private static ExecutorService newHelperPool(int threads) {
        int poolId = POOL_IDS.incrementAndGet();
        AtomicInteger threadIds = new AtomicInteger();
        ThreadFactory factory = runnable -> {
            Thread thread = new Thread(runnable, "neogat-" + poolId + "-worker-" + threadIds.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        return new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), factory);
    }

    private static final class Loop implements Runnable {
        private final int n;
        private final int grain;
        private final int chunks;
        private final ChunkBody body;
        private final TerminationFlag terminationFlag;
        private final Thread owner = Thread.currentThread();
        private final AtomicInteger nextChunk = new AtomicInteger();
        private final AtomicInteger doneChunks = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Loop(int n, int grain, int chunks, ChunkBody body, TerminationFlag terminationFlag) {
            this.n = n;
            this.grain = grain;
            this.chunks = chunks;
            this.body = body;
            this.terminationFlag = terminationFlag;
        }

        @Override
        public void run() {
            work();
        }

        void work() {
            int chunk;
            while ((chunk = nextChunk.getAndIncrement()) < chunks) {
                try {
                    if (failure.get() == null) {
                        terminationFlag.assertRunning();
                        int start = chunk * grain;
                        body.run(chunk, start, (int) Math.min(n, (long) start + grain));
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    if (doneChunks.incrementAndGet() == chunks && Thread.currentThread() != owner) {
                        LockSupport.unpark(owner);
                    }
                }
            }
        }

        void awaitAllChunks() {
            int spins = 0;
            while (doneChunks.get() < chunks) {
                if (spins++ < 2000) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 50_000);
                }
            }
        }

        void rethrowFailure() {
            Throwable t = failure.get();
            if (t instanceof RuntimeException re) {
                throw re;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
        }
    }
}
