package dev.neogat.train;

import dev.neogat.model.MemoryEstimate;

/**
 * Full-batch or sampled mini-batch training, and why: 'auto' trains full-batch when its memory estimate fits
 * the budget and mini-batch otherwise. {@code miniBatch} is null for full-batch training.
 */
public record BatchingChoice(boolean fullBatch, MiniBatchConfig miniBatch, MemoryEstimate estimate, String reason) {

    /** The name of the mode as gat.train's 'mode' key spells it. */
    public String mode() {
        return fullBatch ? "fullBatch" : "miniBatch";
    }

    public static BatchingChoice fullBatch(MemoryEstimate fullBatch, String reason) {
        return new BatchingChoice(true, null, fullBatch, reason);
    }

    public static BatchingChoice miniBatch(MiniBatchConfig miniBatch, MemoryEstimate estimate, String reason) {
        return new BatchingChoice(false, miniBatch, estimate, reason);
    }

    /** 'auto': full-batch when {@code fullBatch} fits in {@code budgetBytes}, else mini-batch. */
    public static BatchingChoice auto(MemoryEstimate fullBatch, MemoryEstimate miniBatchEstimate,
                                      MiniBatchConfig miniBatch, long budgetBytes, String budgetSource) {
        String full = MemoryEstimate.humanReadable(fullBatch.totalBytes());
        String budget = MemoryEstimate.humanReadable(budgetBytes) + " (" + budgetSource + ")";
        if (fullBatch.totalBytes() <= budgetBytes) {
            return fullBatch(fullBatch, "auto: full-batch training needs about " + full + ", within the memory budget "
                    + budget);
        }
        return miniBatch(miniBatch, miniBatchEstimate, "auto: full-batch training needs about " + full
                + ", more than the memory budget " + budget + "; mini-batch training (batchSize "
                + miniBatch.batchSize() + ", fanouts " + java.util.Arrays.toString(miniBatch.fanouts())
                + ") needs about " + MemoryEstimate.humanReadable(miniBatchEstimate.totalBytes()));
    }
}
