package dev.neogat.train;

import dev.neogat.util.TerminatedException;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The pipeline that prepares batches ahead: items reach the consumer in order whatever the number of workers, no
 * more than workers + 1 are ahead of it, each worker reads through a reader of its own that it closes, a failed
 * preparation fails the run with its own exception, and termination stops the run while the consumer waits.
 */
class BatchPipelineTest {

    private static final BatchReader NO_SOURCES = BatchReader.of(null, null);

    @Test
    void itemsReachTheConsumerInOrderWithAtMostWorkersPlusOneAhead() {
        for (int workers : new int[]{0, 1, 2, 4}) {
            AtomicInteger opened = new AtomicInteger();
            AtomicInteger closed = new AtomicInteger();
            AtomicInteger prepared = new AtomicInteger();
            AtomicInteger mostAhead = new AtomicInteger();
            int[] consumedSoFar = {0};
            BatchPipeline<BatchReader> pipeline = new BatchPipeline<>(NO_SOURCES, () -> {
                opened.incrementAndGet();
                return BatchReader.of(null, null, closed::incrementAndGet);
            }, workers);
            List<Integer> seen = new ArrayList<>();
            pipeline.run(40, TerminationFlag.RUNNING, (reader, index) -> {
                int ahead = prepared.incrementAndGet() - consumedSoFar[0];
                mostAhead.accumulateAndGet(ahead, Math::max);
                return index * 3;
            }, (index, item) -> {
                synchronized (consumedSoFar) {
                    consumedSoFar[0]++;
                }
                assertEquals(index * 3, item);
                seen.add(index);
            });
            assertEquals(java.util.stream.IntStream.range(0, 40).boxed().toList(), seen, workers + " workers");
            assertEquals(workers, opened.get(), "one reader per worker");
            assertEquals(opened.get(), closed.get(), "every reader closed");
            // A worker counts its item before the consumer's count of the one before may be seen: one more.
            assertThat(mostAhead.get()).isLessThanOrEqualTo(workers + 2);
        }
    }

    @Test
    void aFailedPreparationFailsTheRunWithItsException() {
        for (int workers : new int[]{0, 3}) {
            IllegalStateException broken = new IllegalStateException("item 7 cannot be read");
            AtomicInteger consumed = new AtomicInteger();
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () ->
                    new BatchPipeline<>(NO_SOURCES, () -> NO_SOURCES, workers).run(20, TerminationFlag.RUNNING,
                            (reader, index) -> {
                                if (index == 7) {
                                    throw broken;
                                }
                                return index;
                            }, (index, item) -> consumed.incrementAndGet()));
            assertSame(broken, thrown);
            assertEquals(7, consumed.get(), "items before the failed one are consumed, in order");
        }
        RuntimeException noReader = new IllegalArgumentException("no transaction");
        assertSame(noReader, assertThrows(IllegalArgumentException.class, () -> new BatchPipeline<>(NO_SOURCES,
                () -> {
                    throw noReader;
                }, 2).run(5, TerminationFlag.RUNNING, (reader, index) -> index, (index, item) -> { })));
    }

    @Test
    void terminationStopsTheRunWhileTheConsumerWaits() {
        AtomicBoolean terminated = new AtomicBoolean();
        AtomicInteger closed = new AtomicInteger();
        long start = System.nanoTime();
        assertThrows(TerminatedException.class, () -> new BatchPipeline<>(NO_SOURCES,
                () -> BatchReader.of(null, null, closed::incrementAndGet), 2).run(1000, terminated::get,
                (reader, index) -> {
                    if (index == 3) {
                        terminated.set(true);
                    }
                    if (index >= 3) {
                        sleep(300);
                    }
                    return index;
                }, (index, item) -> { }));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(seconds).as("seconds until the run stopped").isLessThan(1.0);
        assertEquals(2, closed.get(), "the workers stopped and closed their readers");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
