package dev.neogat.util;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ParallelTest {

    @ParameterizedTest(name = "n={0} grain={1} concurrency={2}")
    @CsvSource({
            "0, 1, 1", "0, 7, 4",
            "1, 1, 1", "1, 1, 4",
            "5, 10, 1", "5, 10, 4",        // n < grain: one chunk
            "10, 10, 3",                   // n == grain
            "11, 10, 3",                   // one item in the last chunk
            "1000, 1, 1", "1000, 1, 8",    // grain 1: one chunk per item
            "1000, 7, 2", "1000, 7, 16",
            "4096, 64, 4", "100003, 1000, 8"
    })
    void everyItemIsVisitedExactlyOnce(int n, int grain, int concurrency) {
        AtomicIntegerArray visits = new AtomicIntegerArray(n);
        try (Parallel parallel = new Parallel(concurrency, TerminationFlag.RUNNING)) {
            parallel.forRange(n, grain, (start, end) -> {
                for (int i = start; i < end; i++) {
                    visits.incrementAndGet(i);
                }
            });
        }
        for (int i = 0; i < n; i++) {
            assertEquals(1, visits.get(i), "visits of item " + i);
        }
    }

    @ParameterizedTest(name = "n={0} grain={1}")
    @CsvSource({"0, 3", "1, 3", "9, 3", "10, 3", "1000, 1", "1000, 33", "5, 100"})
    void chunkIndicesAndBoundariesDoNotDependOnConcurrency(int n, int grain) {
        // Expected chunks per the contract: chunk c is [c * grain, min(n, (c + 1) * grain)).
        Map<Integer, List<Integer>> expected = new TreeMap<>();
        for (int c = 0, start = 0; start < n; c++, start += grain) {
            expected.put(c, List.of(start, Math.min(n, start + grain)));
        }
        assertEquals(expected.size(), Parallel.chunkCount(n, grain));

        for (int concurrency : new int[]{1, 2, 3, 8}) {
            Map<Integer, List<Integer>> seen = new ConcurrentHashMap<>();
            AtomicInteger calls = new AtomicInteger();
            try (Parallel parallel = new Parallel(concurrency, TerminationFlag.RUNNING)) {
                parallel.forChunks(n, grain, (chunk, start, end) -> {
                    calls.incrementAndGet();
                    seen.put(chunk, List.of(start, end));
                });
            }
            assertEquals(expected.size(), calls.get(), "chunks run with concurrency " + concurrency);
            assertEquals(expected, new TreeMap<>(seen), "chunks with concurrency " + concurrency);
        }
    }

    @Test
    void chunkCountRoundsUpAndHandlesZero() {
        assertEquals(0, Parallel.chunkCount(0, 5));
        assertEquals(1, Parallel.chunkCount(1, 5));
        assertEquals(1, Parallel.chunkCount(5, 5));
        assertEquals(2, Parallel.chunkCount(6, 5));
        assertEquals(7, Parallel.chunkCount(7, 1));
        // n + grain would overflow an int.
        assertEquals(2, Parallel.chunkCount(Integer.MAX_VALUE, 1 << 30));
        assertEquals(1, Parallel.chunkCount(Integer.MAX_VALUE, Integer.MAX_VALUE));
    }

    @Test
    void chunkBoundsNearIntegerMaxValueDoNotOverflow() {
        List<int[]> chunks = new ArrayList<>();
        Parallel.sequential().forChunks(Integer.MAX_VALUE, 1 << 30,
                (chunk, start, end) -> chunks.add(new int[]{chunk, start, end}));
        assertEquals(2, chunks.size());
        assertEquals(List.of(0, 0, 1 << 30), List.of(chunks.get(0)[0], chunks.get(0)[1], chunks.get(0)[2]));
        assertEquals(List.of(1, 1 << 30, Integer.MAX_VALUE),
                List.of(chunks.get(1)[0], chunks.get(1)[1], chunks.get(1)[2]));

        List<int[]> single = new ArrayList<>();
        Parallel.sequential().forChunks(Integer.MAX_VALUE, Integer.MAX_VALUE,
                (chunk, start, end) -> single.add(new int[]{chunk, start, end}));
        assertEquals(1, single.size());
        assertEquals(Integer.MAX_VALUE, single.get(0)[2]);
    }

    @Test
    void sequentialRunsChunksInOrderOnTheCallingThread() {
        Thread caller = Thread.currentThread();
        List<Integer> order = new ArrayList<>();
        Parallel parallel = Parallel.sequential();
        assertEquals(1, parallel.concurrency());
        parallel.forChunks(50, 4, (chunk, start, end) -> {
            assertSame(caller, Thread.currentThread());
            order.add(chunk);
        });
        List<Integer> expected = new ArrayList<>();
        for (int c = 0; c < 13; c++) {
            expected.add(c);
        }
        assertEquals(expected, order);
    }

    @Test
    void exceptionThrownOnAHelperThreadReachesTheCallerAsTheSameInstance() throws InterruptedException {
        Thread caller = Thread.currentThread();
        IllegalStateException boom = new IllegalStateException("boom in a helper");
        CountDownLatch helperFailed = new CountDownLatch(1);
        AtomicBoolean callerWaited = new AtomicBoolean();
        Set<String> throwingThreads = ConcurrentHashMap.newKeySet();
        try (Parallel parallel = new Parallel(2, TerminationFlag.RUNNING)) {
            RuntimeException thrown = assertThrows(RuntimeException.class, () ->
                    parallel.forChunks(8, 1, (chunk, start, end) -> {
                        if (Thread.currentThread() == caller) {
                            // Hold the caller in its first chunk until the helper has thrown.
                            if (!callerWaited.getAndSet(true)) {
                                try {
                                    helperFailed.await(10, TimeUnit.SECONDS);
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            }
                        } else {
                            throwingThreads.add(Thread.currentThread().getName());
                            helperFailed.countDown();
                            throw boom;
                        }
                    }));
            assertSame(boom, thrown);
        }
        assertEquals(0, helperFailed.getCount(), "no chunk ran on a helper thread");
        assertEquals(1, throwingThreads.size());
        assertTrue(throwingThreads.iterator().next().startsWith("neogat-"), throwingThreads.toString());
    }

    @Test
    void aFailedChunkStopsTheChunksNotYetStarted() {
        List<Integer> ran = new ArrayList<>();
        RuntimeException boom = new RuntimeException("chunk 3");
        RuntimeException thrown = assertThrows(RuntimeException.class,
                () -> Parallel.sequential().forChunks(100, 1, (chunk, start, end) -> {
                    ran.add(chunk);
                    if (chunk == 3) {
                        throw boom;
                    }
                }));
        assertSame(boom, thrown);
        assertEquals(List.of(0, 1, 2, 3), ran);
    }

    @Test
    void errorThrownInAChunkIsRethrownAsIs() {
        AssertionError error = new AssertionError("an error, not an exception");
        try (Parallel parallel = new Parallel(4, TerminationFlag.RUNNING)) {
            AssertionError thrown = assertThrows(AssertionError.class, () ->
                    parallel.forChunks(100, 1, (chunk, start, end) -> {
                        if (chunk == 57) {
                            throw error;
                        }
                    }));
            assertSame(error, thrown);
        }
    }

    @Test
    void checkedExceptionSmuggledOutOfAChunkIsWrapped() {
        Exception checked = new Exception("checked");
        try (Parallel parallel = new Parallel(3, TerminationFlag.RUNNING)) {
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () ->
                    parallel.forChunks(10, 1, (chunk, start, end) -> {
                        if (chunk == 4) {
                            sneakyThrow(checked);
                        }
                    }));
            assertSame(checked, thrown.getCause());
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneakyThrow(Throwable t) throws T {
        throw (T) t;
    }

    @Test
    void poolIsReusableAfterALoopFailed() {
        try (Parallel parallel = new Parallel(4, TerminationFlag.RUNNING)) {
            assertThrows(IllegalArgumentException.class, () -> parallel.forChunks(100, 1, (chunk, start, end) -> {
                throw new IllegalArgumentException("chunk " + chunk);
            }));
            AtomicInteger items = new AtomicInteger();
            parallel.forRange(1000, 10, (start, end) -> items.addAndGet(end - start));
            assertEquals(1000, items.get());
        }
    }

    /** A flag flipped by the loop body; records per thread whether it has reported "terminated". */
    private static final class RecordingFlag implements TerminationFlag {
        final AtomicBoolean flipped = new AtomicBoolean();
        final ThreadLocal<Boolean> sawTerminated = ThreadLocal.withInitial(() -> false);

        @Override
        public boolean terminated() {
            boolean terminated = flipped.get();
            if (terminated) {
                sawTerminated.set(true);
            }
            return terminated;
        }
    }

    @Test
    void flagSetDuringASequentialLoopStopsItBeforeTheNextChunk() {
        RecordingFlag flag = new RecordingFlag();
        List<Integer> ran = new ArrayList<>();
        try (Parallel parallel = new Parallel(1, flag)) {
            assertSame(flag, parallel.terminationFlag());
            assertThrows(TerminatedException.class, () -> parallel.forChunks(100, 1, (chunk, start, end) -> {
                ran.add(chunk);
                if (chunk == 3) {
                    flag.flipped.set(true);
                }
            }));
        }
        assertEquals(List.of(0, 1, 2, 3), ran);
    }

    @ParameterizedTest(name = "concurrency={0}")
    @ValueSource(ints = {2, 4, 8})
    void flagSetDuringAParallelLoopStopsItAndNoThreadStartsAChunkAfterSeeingIt(int concurrency) {
        RecordingFlag flag = new RecordingFlag();
        int chunks = 10_000;
        AtomicInteger started = new AtomicInteger();
        AtomicInteger startedAfterFlip = new AtomicInteger();
        AtomicInteger startedAfterSeen = new AtomicInteger();
        try (Parallel parallel = new Parallel(concurrency, flag)) {
            assertThrows(TerminatedException.class, () -> parallel.forChunks(chunks, 1, (chunk, start, end) -> {
                started.incrementAndGet();
                if (flag.sawTerminated.get()) {
                    startedAfterSeen.incrementAndGet();
                }
                if (flag.flipped.get()) {
                    startedAfterFlip.incrementAndGet();
                }
                if (chunk == 100) {
                    flag.flipped.set(true);
                }
                Thread.onSpinWait();
            }));
        }
        assertEquals(0, startedAfterSeen.get(), "a thread started a chunk after it saw the flag set");
        // Only chunks whose check passed before the flip may still start: at most one per other thread.
        assertTrue(startedAfterFlip.get() <= concurrency - 1,
                startedAfterFlip.get() + " chunks started after the flip with concurrency " + concurrency);
        assertTrue(started.get() < chunks, "the loop ran to completion");
    }

    @Test
    void flagAlreadySetRunsNoChunk() {
        AtomicInteger ran = new AtomicInteger();
        try (Parallel parallel = new Parallel(4, () -> true)) {
            TerminatedException e = assertThrows(TerminatedException.class,
                    () -> parallel.forRange(1000, 1, (start, end) -> ran.incrementAndGet()));
            assertTrue(e.getMessage().contains("terminated"), e.getMessage());
        }
        assertEquals(0, ran.get());
    }

    @Test
    void flagIsNotConsultedForAnEmptyLoop() {
        try (Parallel parallel = new Parallel(2, () -> true)) {
            parallel.forRange(0, 5, (start, end) -> {
                throw new AssertionError("no chunk expected");
            });
        }
    }

    @Test
    void closeCanBeCalledMoreThanOnceAndLoopsAfterItAreRefused() {
        Parallel parallel = new Parallel(3, TerminationFlag.RUNNING);
        AtomicInteger items = new AtomicInteger();
        parallel.forRange(100, 10, (start, end) -> items.addAndGet(end - start));
        parallel.close();
        parallel.close();
        assertEquals(100, items.get());

        Parallel sequential = Parallel.sequential();
        sequential.close();
        sequential.close();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> sequential.forRange(10, 3, (start, end) -> items.addAndGet(end - start)));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> parallel.forRange(10, 3, (start, end) -> { }));
        assertEquals(100, items.get());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
    void concurrencyBelowOneIsRejectedNamingTheValue(int concurrency) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Parallel(concurrency, TerminationFlag.RUNNING));
        assertTrue(e.getMessage().contains("got " + concurrency), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -4})
    void grainBelowOneIsRejectedNamingTheValueEvenForAnEmptyLoop(int grain) {
        try (Parallel parallel = new Parallel(2, TerminationFlag.RUNNING)) {
            for (int n : new int[]{0, 10}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> parallel.forRange(n, grain, (start, end) -> { }));
                assertTrue(e.getMessage().contains("got " + grain), e.getMessage());
            }
        }
    }

    @Test
    void concurrencyIsReported() {
        try (Parallel parallel = new Parallel(5, TerminationFlag.RUNNING)) {
            assertEquals(5, parallel.concurrency());
            assertFalse(parallel.terminationFlag().terminated());
        }
    }
}
