package dev.neogat.procedures.facade;

import dev.neogat.model.MemoryEstimate;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** gat.train refuses a job whose estimate exceeds the free heap, saying how much it needs and what to change. */
class HeapCheckTest {

    @Test
    void refusesAJobLargerThanTheFreeHeap() {
        long max = Runtime.getRuntime().maxMemory();
        MemoryEstimate tooLarge = new MemoryEstimate(max, max, 0, 0, 0, 0);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TrainFacade.requireHeap(tooLarge));
        assertThat(e.getMessage()).contains("This job needs about " + MemoryEstimate.humanReadable(2 * max))
                .contains("graph ").contains("features ").contains("is free of")
                .contains("raise server.memory.heap.max_size");
    }

    @Test
    void garbageNotYetCollectedDoesNotRefuseAJobThatFits() {
        System.gc();
        long free = TrainFacade.freeHeap();
        long job = free / 2;
        // Garbage of three quarters of the free heap: without a collection only a quarter would look free.
        byte[][] garbage = new byte[16][];
        for (int i = 0; i < garbage.length; i++) {
            garbage[i] = new byte[(int) Math.min(Integer.MAX_VALUE - 8, free * 3 / 4 / garbage.length)];
        }
        garbage = null;
        TrainFacade.requireHeap(new MemoryEstimate(job, 0, 0, 0, 0, 0));
    }

    @Test
    void acceptsAJobThatFits() {
        TrainFacade.requireHeap(new MemoryEstimate(1 << 20, 1 << 20, 1 << 10, 1 << 20, 1 << 20, 1 << 10));
    }
}
