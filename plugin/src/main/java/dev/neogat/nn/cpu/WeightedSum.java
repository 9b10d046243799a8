package dev.neogat.nn.cpu;

import dev.neogat.util.Parallel;

/**
 * The pieces of a weighted sum of equally shaped tensors, {@code out = Σ_r β_r z_r} (a typed layer's
 * relations combined into one node type): {@code x += β·y} element-wise, and the weight's gradient
 * {@code dβ_r = Σ dOut ∘ z_r}, a dot product over all elements. The product's backward for z is
 * {@code dz_r += β_r·dOut}, the first piece again.
 *
 * <p>The dot product sums fixed chunks in double and adds the chunks' sums in chunk order, so its value
 * does not depend on the number of threads.
 */
final class WeightedSum {

    private static final int GRAIN = 1 << 14;

    private WeightedSum() {
    }

    static void scaledAdd(Parallel parallel, CpuTensor x, float scale, CpuTensor y) {
        float[] to = x.data;
        float[] from = y.data;
        parallel.forRange(to.length, GRAIN, (start, end) -> {
            for (int p = start; p < end; p++) {
                to[p] += scale * from[p];
            }
        });
    }

    static double dot(Parallel parallel, CpuTensor x, CpuTensor y) {
        float[] a = x.data;
        float[] b = y.data;
        int n = a.length;
        double[] partials = new double[Parallel.chunkCount(n, GRAIN)];
        parallel.forChunks(n, GRAIN, (chunk, start, end) -> {
            double sum = 0;
            for (int p = start; p < end; p++) {
                sum += (double) a[p] * b[p];
            }
            partials[chunk] = sum;
        });
        double total = 0;
        for (double partial : partials) {
            total += partial;
        }
        return total;
    }
}
