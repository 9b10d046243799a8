package dev.neogat.nn.cpu;

import dev.neogat.util.Parallel;

/**
 * GAT's per-node halves of the edge score: {@code source[i,h] = a_src[h] · z[i,h]} and
 * {@code target[i,h] = a_dst[h] · z[i,h]}, so that the score of edge j→i is source[j] + target[i]
 * (the attention vector applied to the concatenation [Wh_i ‖ Wh_j]).
 *
 * <p>Backward: {@code dz[i,h] += dSource[i,h]·a_src[h] + dTarget[i,h]·a_dst[h]},
 * {@code da_src[h] = Σ_i dSource[i,h]·z[i,h]} (and a_dst likewise) as fixed-order reductions.
 */
final class AttentionScores {

    private AttentionScores() {
    }

    static void forward(Parallel parallel, CpuTensor z, CpuTensor attSource, CpuTensor attTarget,
                        CpuTensor sourceScores, CpuTensor targetScores) {
        int heads = attSource.rows;
        int channels = attSource.cols;
        int width = heads * channels;
        float[] x = z.data;
        float[] as = attSource.data;
        float[] at = attTarget.data;
        float[] s = sourceScores.data;
        float[] t = targetScores.data;
        parallel.forRange(z.rows, Chunking.grain(2L * width), (start, end) -> {
            for (int i = start; i < end; i++) {
                for (int h = 0; h < heads; h++) {
                    int base = i * width + h * channels;
                    int a = h * channels;
                    float sourceSum = 0f;
                    float targetSum = 0f;
                    for (int c = 0; c < channels; c++) {
                        sourceSum += x[base + c] * as[a + c];
                        targetSum += x[base + c] * at[a + c];
                    }
                    s[i * heads + h] = sourceSum;
                    t[i * heads + h] = targetSum;
                }
            }
        });
    }

    static void backward(Parallel parallel, CpuTensor z, CpuTensor attSource, CpuTensor attTarget,
                         CpuTensor dSourceScores, CpuTensor dTargetScores, CpuTensor dZ,
                         CpuTensor dAttSource, CpuTensor dAttTarget) {
        int n = z.rows;
        int heads = attSource.rows;
        int channels = attSource.cols;
        int width = heads * channels;
        float[] x = z.data;
        float[] as = attSource.data;
        float[] at = attTarget.data;
        float[] ds = dSourceScores.data;
        float[] dt = dTargetScores.data;
        float[] dx = dZ.data;
        parallel.forRange(n, Chunking.grain(2L * width), (start, end) -> {
            for (int i = start; i < end; i++) {
                for (int h = 0; h < heads; h++) {
                    float gs = ds[i * heads + h];
                    float gt = dt[i * heads + h];
                    int base = i * width + h * channels;
                    int a = h * channels;
                    for (int c = 0; c < channels; c++) {
                        dx[base + c] += gs * as[a + c] + gt * at[a + c];
                    }
                }
            }
        });
        int grain = Chunking.reductionGrain(n);
        float[][] partials = new float[Parallel.chunkCount(n, grain)][];
        parallel.forChunks(n, grain, (chunk, start, end) -> {
            float[] part = new float[2 * width];
            for (int i = start; i < end; i++) {
                for (int h = 0; h < heads; h++) {
                    float gs = ds[i * heads + h];
                    float gt = dt[i * heads + h];
                    int base = i * width + h * channels;
                    int a = h * channels;
                    for (int c = 0; c < channels; c++) {
                        part[a + c] += gs * x[base + c];
                        part[width + a + c] += gt * x[base + c];
                    }
                }
            }
            partials[chunk] = part;
        });
        float[] both = new float[2 * width];
        ColumnSums.sumInOrder(parallel, partials, both);
        System.arraycopy(both, 0, dAttSource.data, 0, width);
        System.arraycopy(both, width, dAttTarget.data, 0, width);
    }
}
