package dev.neogat.train;

import dev.neogat.model.MemoryEstimate;
import dev.neogat.spec.GatConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MiniBatchEstimateTest {

    private static final GatConfig MODEL = GatConfig.builder(64, 10).hiddenHeads(8).hiddenChannels(8).build();
    private static final long NODES = 1_000_000;
    private static final long EDGES = 10_000_000;
    private static final long SLOTS = 2 * EDGES + NODES;

    private static MemoryEstimate miniBatch(int batchSize, int... fanouts) {
        return MemoryEstimate.miniBatch(MODEL, NODES, SLOTS, EDGES, NODES * 64, false, batchSize, fanouts, 1);
    }

    @Test
    void theBatchBoundGrowsWithBatchSizeAndFanoutsAndNeverPassesTheWholeGraph() {
        MemoryEstimate full = MemoryEstimate.of(MODEL, NODES, SLOTS, EDGES, NODES * 64, false, true);
        MemoryEstimate inference = MemoryEstimate.of(MODEL, NODES, SLOTS, EDGES, NODES * 64, false, false);
        MemoryEstimate small = miniBatch(512, 10, 10);
        assertThat(small.totalBytes()).isLessThan(full.totalBytes()).isGreaterThan(inference.totalBytes());
        assertThat(miniBatch(1024, 10, 10).totalBytes()).isGreaterThan(small.totalBytes());
        assertThat(miniBatch(512, 25, 10).totalBytes()).isGreaterThan(small.totalBytes());
        // 512 · (1 + 10 + 100) nodes at most: the gradients cover no more than those.
        long batchNodes = 512L * 111;
        assertThat(small.gradientBytes()).isLessThan(full.gradientBytes() * 2 * batchNodes / NODES + (1 << 20));
        MemoryEstimate all = miniBatch(Integer.MAX_VALUE, -1, -1);
        assertEquals(full.gradientBytes(), all.gradientBytes(), "a batch of everything is the whole graph");
        assertEquals(full.maskBytes(), all.maskBytes());
        assertTrue(all.totalBytes() > full.totalBytes(), "and adds the whole-graph validation on top");
    }

    @Test
    void autoPicksFullBatchWithinTheBudgetAndSaysWhy() {
        MemoryEstimate full = MemoryEstimate.of(MODEL, NODES, SLOTS, EDGES, NODES * 64, false, true);
        MemoryEstimate mini = miniBatch(512, 10, 10);
        MiniBatchConfig sampling = new MiniBatchConfig(512, new int[]{10, 10});
        BatchingChoice roomy = BatchingChoice.auto(full, mini, sampling, full.totalBytes(), "the free heap");
        assertEquals("fullBatch", roomy.mode());
        assertThat(roomy.miniBatch()).isNull();
        assertThat(roomy.reason()).contains("within the memory budget");
        BatchingChoice tight = BatchingChoice.auto(full, mini, sampling, full.totalBytes() - 1, "memoryBudget");
        assertEquals("miniBatch", tight.mode());
        assertEquals(sampling, tight.miniBatch());
        assertEquals(mini, tight.estimate());
        assertThat(tight.reason()).contains("more than the memory budget").contains("(memoryBudget)")
                .contains("batchSize 512, fanouts [10, 10]");
    }
}
