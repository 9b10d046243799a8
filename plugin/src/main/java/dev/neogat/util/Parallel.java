package dev.neogat.util;

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
 *
 * <p>A training step runs dozens of loops of a fraction of a millisecond each, so helpers spin for a
 * short while for the next loop before they park: waking a parked thread costs as much as a small loop.
 * One thread at a time may run loops on a {@code Parallel}; loop bodies must not start loops themselves.
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

    /** How long a helper (or the caller, for its helpers) spins before parking. */
    private static final long SPIN_NANOS = 200_000;
    private static final AtomicInteger POOL_IDS = new AtomicInteger();

    private final int concurrency;
    private final TerminationFlag terminationFlag;
    private final Helper[] helpers;
    private volatile Loop current;
    private volatile boolean closed;

    public Parallel(int concurrency, TerminationFlag terminationFlag) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
        }
        this.concurrency = concurrency;
        this.terminationFlag = terminationFlag;
        this.helpers = new Helper[concurrency - 1];
        int poolId = POOL_IDS.incrementAndGet();
        for (int h = 0; h < helpers.length; h++) {
            helpers[h] = new Helper("neogat-" + poolId + "-worker-" + (h + 1));
            helpers[h].start();
        }
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
        if (closed) {
            throw new IllegalStateException("This Parallel is closed");
        }
        int chunks = chunkCount(n, grain);
        if (chunks == 0) {
            return;
        }
        Loop loop = new Loop(n, grain, chunks, body, terminationFlag);
        if (chunks > 1 && helpers.length > 0) {
            current = loop;
            for (Helper helper : helpers) {
                helper.wake();
            }
        }
        loop.work();
        loop.awaitAllChunks();
        loop.rethrowFailure();
    }

    @Override
    public void close() {
        closed = true;
        for (Helper helper : helpers) {
            helper.wake();
        }
    }

    /** A helper thread: runs each new loop it sees, spinning briefly between loops before parking. */
    private final class Helper extends Thread {
        private volatile boolean parked;

        Helper(String name) {
            super(name);
            setDaemon(true);
        }

        void wake() {
            if (parked) {
                LockSupport.unpark(this);
            }
        }

        @Override
        public void run() {
            Loop seen = null;
            while (!closed) {
                Loop loop = current;
                if (loop != null && loop != seen) {
                    seen = loop;
                    loop.work();
                    continue;
                }
                long spinStart = System.nanoTime();
                while (current == seen && !closed && System.nanoTime() - spinStart < SPIN_NANOS) {
                    Thread.onSpinWait();
                }
                if (current == seen && !closed) {
                    parked = true;
                    if (current == seen && !closed) {
                        LockSupport.park(Parallel.this);
                    }
                    parked = false;
                }
            }
        }
    }

    private static final class Loop {
        private final int n;
        private final int grain;
        private final int chunks;
        private final ChunkBody body;
        private final TerminationFlag terminationFlag;
        private final Thread owner = Thread.currentThread();
        private final AtomicInteger nextChunk = new AtomicInteger();
        private final AtomicInteger doneChunks = new AtomicInteger();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile boolean ownerParked;

        Loop(int n, int grain, int chunks, ChunkBody body, TerminationFlag terminationFlag) {
            this.n = n;
            this.grain = grain;
            this.chunks = chunks;
            this.body = body;
            this.terminationFlag = terminationFlag;
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
                    if (doneChunks.incrementAndGet() == chunks && Thread.currentThread() != owner && ownerParked) {
                        LockSupport.unpark(owner);
                    }
                }
            }
        }

        void awaitAllChunks() {
            long spinStart = System.nanoTime();
            while (doneChunks.get() < chunks) {
                if (System.nanoTime() - spinStart < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    ownerParked = true;
                    if (doneChunks.get() < chunks) {
                        LockSupport.parkNanos(this, 1_000_000);
                    }
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
