package dev.neogat.nn.cpu;

import dev.neogat.util.Parallel;

/**
 * GATv2's raw edge score (Brody et al. 2022): the nonlinearity sits between the projection and the
 * attention vector, {@code e[j→i,h] = Σ_c a[h,c]·LeakyReLU(xt[i,h,c] + xs[j,h,c] + xe[j→i,h,c])}, with
 * xs = W_l·x_j (also the message), xt = W_r·x_i and, with relationship features, xe = W_e·f_ji per slot.
 *
 * <p>Backward, with {@code de} the gradient of the score and {@code u} the sum inside the LeakyReLU:
 * {@code dxt[i] += Σ_in de·a·LReLU'(u)}, {@code dxe[j→i] = de·a·LReLU'(u)}, {@code dxs[j] += Σ_out
 * de·a·LReLU'(u)} (gathered over the transposed index), {@code da = Σ_slots de·LReLU(u)} as a fixed-order
 * reduction over target chunks.
 */
final class GatV2Scores {

    private GatV2Scores() {
    }

    static void forward(Parallel parallel, CpuGraph graph, CpuTensor xSource, CpuTensor xTarget, CpuTensor xEdge,
                        CpuTensor att, float negativeSlope, CpuTensor scores) {
        int heads = att.rows;
        int channels = att.cols;
        int width = heads * channels;
        int[] offsets = graph.csr.offsets();
        int[] sources = graph.csr.sources();
        float[] xs = xSource.data;
        float[] xt = xTarget.data;
        float[] xe = xEdge == null ? null : xEdge.data;
        float[] at = att.data;
        float[] a = scores.data;
        parallel.forRange(graph.nodeCount(), graph.targetGrain(2L * width), (start, end) -> {
            for (int i = start; i < end; i++) {
                for (int slot = offsets[i]; slot < offsets[i + 1]; slot++) {
                    int j = sources[slot];
                    for (int h = 0; h < heads; h++) {
                        int ti = i * width + h * channels;
                        int sj = j * width + h * channels;
                        int es = slot * width + h * channels;
                        int ah = h * channels;
                        float e = 0f;
                        for (int c = 0; c < channels; c++) {
                            float u = xt[ti + c] + xs[sj + c];
                            if (xe != null) {
                                u += xe[es + c];
                            }
                            e += at[ah + c] * Math.max(u, u * negativeSlope);
                        }
                        a[slot * heads + h] = e;
                    }
                }
            }
        });
    }

    static void backward(Parallel parallel, CpuGraph graph, CpuTensor xSource, CpuTensor xTarget, CpuTensor xEdge,
                         CpuTensor att, float negativeSlope, CpuTensor dScores, CpuTensor dXSource,
                         CpuTensor dXTarget, CpuTensor dXEdge, CpuTensor dAtt) {
        int n = graph.nodeCount();
        int heads = att.rows;
        int channels = att.cols;
        int width = heads * channels;
        int[] offsets = graph.csr.offsets();
        int[] sources = graph.csr.sources();
        float[] xs = xSource.data;
        float[] xt = xTarget.data;
        float[] xe = xEdge == null ? null : xEdge.data;
        float[] dxe = dXEdge == null ? null : dXEdge.data;
        float[] at = att.data;
        float[] g = dScores.data;
        float[] dxt = dXTarget.data;
        int grain = Chunking.reductionGrain(n);
        float[][] partials = new float[Parallel.chunkCount(n, grain)][];
        parallel.forChunks(n, grain, (chunk, start, end) -> {
            float[] part = new float[width];
            for (int i = start; i < end; i++) {
                for (int slot = offsets[i]; slot < offsets[i + 1]; slot++) {
                    int j = sources[slot];
                    for (int h = 0; h < heads; h++) {
                        float de = g[slot * heads + h];
                        int ti = i * width + h * channels;
                        int sj = j * width + h * channels;
                        int es = slot * width + h * channels;
                        int ah = h * channels;
                        for (int c = 0; c < channels; c++) {
                            float u = xt[ti + c] + xs[sj + c];
                            if (xe != null) {
                                u += xe[es + c];
                            }
                            float du = u > 0f ? de * at[ah + c] : de * at[ah + c] * negativeSlope;
                            dxt[ti + c] += du;
                            if (dxe != null) {
                                dxe[es + c] = du;
                            }
                            part[ah + c] += u > 0f ? de * u : de * (u * negativeSlope);
                        }
                    }
                }
            }
            partials[chunk] = part;
        });
        ColumnSums.sumInOrder(parallel, partials, dAtt.data);

        int[] outOffsets = graph.csr.outOffsets();
        int[] outSlots = graph.csr.outSlots();
        int[] outTargets = graph.csr.outTargets();
        float[] dxs = dXSource.data;
        parallel.forRange(graph.sourceCount(), graph.sourceGrain(2L * width), (start, end) -> {
            for (int j = start; j < end; j++) {
                for (int p = outOffsets[j]; p < outOffsets[j + 1]; p++) {
                    int slot = outSlots[p];
                    int i = outTargets[p];
                    for (int h = 0; h < heads; h++) {
                        float de = g[slot * heads + h];
                        int ti = i * width + h * channels;
                        int sj = j * width + h * channels;
                        int es = slot * width + h * channels;
                        int ah = h * channels;
                        for (int c = 0; c < channels; c++) {
                            float u = xt[ti + c] + xs[sj + c];
                            if (xe != null) {
                                u += xe[es + c];
                            }
                            dxs[sj + c] += u > 0f ? de * at[ah + c] : de * at[ah + c] * negativeSlope;
                        }
                    }
                }
            }
        });
    }
}
