package dev.neogat.nn.cpu;

import dev.neogat.nn.MetricCounts;
import dev.neogat.util.Parallel;

import java.util.Arrays;

/**
 * Node classification losses, averaged over the target nodes (and over classes for multi-label):
 * <ul>
 *   <li>single-label: {@code -log softmax(z_i)[y_i]}, gradient {@code (softmax(z_i) - onehot(y_i)) / n};</li>
 *   <li>multi-label: {@code max(z,0) - z·y + log(1 + e^-|z|)} per class (sigmoid + binary cross-entropy in
 *       its stable form), gradient {@code (σ(z) - y) / (n·C)}.</li>
 * </ul>
 * Metrics: arg-max accuracy (first maximum wins ties), or micro-F1 counts with a prediction for z > 0.
 * Per-chunk sums are added in chunk order.
 */
final class Losses {

    private Losses() {
    }

    static double loss(Parallel parallel, CpuTensor logits, CpuTargets targets, CpuTensor dLogits) {
        return run(parallel, logits, targets, dLogits).loss();
    }

    static MetricCounts evaluate(Parallel parallel, CpuTensor logits, CpuTargets targets) {
        return run(parallel, logits, targets, null);
    }

    private static MetricCounts run(Parallel parallel, CpuTensor logits, CpuTargets targets, CpuTensor dLogits) {
        int count = targets.nodes.length;
        int classes = logits.cols;
        boolean multiLabel = targets.multiLabel();
        if (dLogits != null) {
            Arrays.fill(dLogits.data, 0f);
        }
        int grain = Chunking.reductionGrain(count);
        int chunks = Parallel.chunkCount(count, grain);
        double[] lossParts = new double[chunks];
        long[][] countParts = new long[chunks][];
        parallel.forChunks(count, grain, (chunk, start, end) -> {
            long[] counts = new long[4];
            lossParts[chunk] = multiLabel
                    ? binaryCrossEntropy(logits, targets, dLogits, start, end, counts)
                    : crossEntropy(logits, targets, dLogits, start, end, counts);
            countParts[chunk] = counts;
        });
        double lossSum = 0;
        long[] totals = new long[4];
        for (int chunk = 0; chunk < chunks; chunk++) {
            lossSum += lossParts[chunk];
            for (int q = 0; q < 4; q++) {
                totals[q] += countParts[chunk][q];
            }
        }
        double denominator = multiLabel ? (double) count * classes : count;
        double loss = count == 0 ? Double.NaN : lossSum / denominator;
        return new MetricCounts(loss, totals[0], count, totals[1], totals[2], totals[3], multiLabel);
    }

    /** counts: [correct, unused, unused, unused]. Returns the chunk's loss sum. */
    private static double crossEntropy(CpuTensor logits, CpuTargets targets, CpuTensor dLogits, int start, int end,
                                       long[] counts) {
        int classes = logits.cols;
        float[] z = logits.data;
        int[] classOf = targets.labels.classes();
        float gradientScale = 1f / targets.nodes.length;
        double lossSum = 0;
        for (int q = start; q < end; q++) {
            int node = targets.nodes[q];
            int row = node * classes;
            int label = classOf[node];
            float max = Float.NEGATIVE_INFINITY;
            int best = 0;
            for (int c = 0; c < classes; c++) {
                if (z[row + c] > max) {
                    max = z[row + c];
                    best = c;
                }
            }
            float sum = 0f;
            for (int c = 0; c < classes; c++) {
                sum += (float) Math.exp(z[row + c] - max);
            }
            float logSum = (float) Math.log(sum);
            lossSum += logSum - (z[row + label] - max);
            if (best == label) {
                counts[0]++;
            }
            if (dLogits != null) {
                float[] d = dLogits.data;
                for (int c = 0; c < classes; c++) {
                    float probability = (float) Math.exp(z[row + c] - max - logSum);
                    d[row + c] = (c == label ? probability - 1f : probability) * gradientScale;
                }
            }
        }
        return lossSum;
    }

    /** counts: [unused, true positives, false positives, false negatives]. Returns the chunk's loss sum. */
    private static double binaryCrossEntropy(CpuTensor logits, CpuTargets targets, CpuTensor dLogits, int start,
                                             int end, long[] counts) {
        int classes = logits.cols;
        float[] z = logits.data;
        byte[] memberships = targets.labels.memberships();
        float gradientScale = 1f / ((float) targets.nodes.length * classes);
        double lossSum = 0;
        for (int q = start; q < end; q++) {
            int node = targets.nodes[q];
            int row = node * classes;
            for (int c = 0; c < classes; c++) {
                float x = z[row + c];
                float y = memberships[row + c];
                lossSum += Math.max(x, 0f) - x * y + (float) Math.log1p(Math.exp(-Math.abs(x)));
                boolean predicted = x > 0f;
                boolean actual = y == 1f;
                if (predicted && actual) {
                    counts[1]++;
                } else if (predicted) {
                    counts[2]++;
                } else if (actual) {
                    counts[3]++;
                }
                if (dLogits != null) {
                    float sigmoid = x >= 0f ? 1f / (1f + (float) Math.exp(-x))
                            : (float) Math.exp(x) / (1f + (float) Math.exp(x));
                    dLogits.data[row + c] = (sigmoid - y) * gradientScale;
                }
            }
        }
        return lossSum;
    }
}
