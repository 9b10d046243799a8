package dev.neogat.nn.cpu;

import dev.neogat.util.Parallel;

/**
 * GAT's raw edge score: {@code e[j→i,h] = LeakyReLU(source[j,h] + target[i,h] + edge[j→i,h])}, the
 * attention vector applied to [Wh_i ‖ Wh_j ‖ W_e f_ji] through its per-node halves and, with relationship
 * features, its per-slot third. LeakyReLU is written max(u, slope·u), valid for
 * slopes in [0, 1] and free of branches on the sign of u.
 *
 * <p>Backward: {@code du = de · LeakyReLU'(u)} (slope for u ≤ 0, as PyTorch), kept in place of de;
 * {@code dTarget[i] = Σ_in du}, {@code dSource[j] = Σ_out du}, the latter gathered over the transposed index;
 * {@code dEdge = du}.
 */
final class GatScores {

    private GatScores() {
    }

    static void forward(Parallel parallel, CpuGraph graph, CpuTensor sourceScores, CpuTensor targetScores,
                        CpuTensor edgeScores, float negativeSlope, CpuTensor scores) {
        int heads = sourceScores.cols;
        int[] offsets = graph.csr.offsets();
        int[] sources = graph.csr.sources();
        float[] s = sourceScores.data;
        float[] t = targetScores.data;
        float[] a = scores.data;
        float[] edge = edgeScores == null ? null : edgeScores.data;
        parallel.forRange(graph.nodeCount(), graph.targetGrain(heads * 4L), (start, end) -> {
            for (int i = start; i < end; i++) {
                for (int slot = offsets[i]; slot < offsets[i + 1]; slot++) {
                    int j = sources[slot];
                    for (int h = 0; h < heads; h++) {
                        float u = s[j * heads + h] + t[i * heads + h];
                        if (edge != null) {
                            u += edge[slot * heads + h];
                        }
                        a[slot * heads + h] = Math.max(u, u * negativeSlope);
                    }
                }
            }
        });
    }

    static void backward(Parallel parallel, CpuGraph graph, CpuTensor sourceScores, CpuTensor targetScores,
                         CpuTensor edgeScores, float negativeSlope, CpuTensor dScores, CpuTensor dSourceScores,
                         CpuTensor dTargetScores) {
        int heads = sourceScores.cols;
        int[] offsets = graph.csr.offsets();
        int[] sources = graph.csr.sources();
        float[] s = sourceScores.data;
        float[] t = targetScores.data;
        float[] g = dScores.data;
        float[] edge = edgeScores == null ? null : edgeScores.data;
        float[] dt = dTargetScores.data;
        parallel.forRange(graph.nodeCount(), graph.targetGrain(heads * 4L), (start, end) -> {
            for (int i = start; i < end; i++) {
                for (int h = 0; h < heads; h++) {
                    dt[i * heads + h] = 0f;
                }
                for (int slot = offsets[i]; slot < offsets[i + 1]; slot++) {
                    int j = sources[slot];
                    for (int h = 0; h < heads; h++) {
                        int e = slot * heads + h;
                        float u = s[j * heads + h] + t[i * heads + h];
                        if (edge != null) {
                            u += edge[e];
                        }
                        float du = g[e] * (u > 0f ? 1f : negativeSlope);
                        g[e] = du;
                        dt[i * heads + h] += du;
                    }
                }
            }
        });
        EdgeSoftmax.sumOverOutgoing(parallel, graph, g, heads, dSourceScores.data);
    }
}
