package dev.neogat.nn.cpu;

import dev.neogat.util.Parallel;

/** Fixed-order reductions: column sums of a tensor, and the chunk-ordered sum of partial results. */
final class ColumnSums {

    private ColumnSums() {
    }

    /** sums[j] = Σ_i x[i, j], over row chunks whose partials are added in chunk order. */
    static void compute(Parallel parallel, CpuTensor x, CpuTensor sums) {
        int n = x.rows;
        int m = x.cols;
        float[] data = x.data;
        int grain = Chunking.reductionGrain(n);
        float[][] partials = new float[Parallel.chunkCount(n, grain)][];
        parallel.forChunks(n, grain, (chunk, start, end) -> {
            float[] part = new float[m];
            for (int i = start; i < end; i++) {
                int row = i * m;
                for (int j = 0; j < m; j++) {
                    part[j] += data[row + j];
                }
            }
            partials[chunk] = part;
        });
        sumInOrder(parallel, partials, sums.data);
    }

    /** destination = partials[0] + partials[1] + ... element-wise, always in this order. */
    static void sumInOrder(Parallel parallel, float[][] partials, float[] destination) {
        int length = destination.length;
        parallel.forRange(length, Chunking.grain(partials.length), (start, end) -> {
            for (int e = start; e < end; e++) {
                float sum = 0f;
                for (float[] part : partials) {
                    sum += part[e];
                }
                destination[e] = sum;
            }
        });
    }
}
