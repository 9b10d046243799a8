package dev.neogat.nn.cpu;

import dev.neogat.util.Exponential;
import dev.neogat.util.Parallel;

/**
 * GAT attention: {@code e[j→i,h] = LeakyReLU(source[j,h] + target[i,h])}, then
 * {@code alpha[j→i,h] = exp(e - max_i) / Σ_(k→i) exp(e[k→i,h] - max_i)} over the incoming slots of each
 * target i. Subtracting the target's maximum keeps exp finite; a target without incoming slots has no
 * attention and receives nothing. LeakyReLU is written max(e, slope·e), valid for slopes in [0, 1] and
 * free of branches on the sign of e.
 *
 * <p>Backward: {@code de = alpha ∘ (dAlpha - Σ_i alpha·dAlpha)} per target and head, times
 * LeakyReLU'(pre-activation) (slope for pre ≤ 0, as PyTorch); {@code dTarget[i] = Σ_in de},
 * {@code dSource[j] = Σ_out de}, the latter gathered over the transposed index.
 */
final class EdgeSoftmax {

    private EdgeSoftmax() {
    }

    static void forward(Parallel parallel, CpuGraph graph, CpuTensor sourceScores, CpuTensor targetScores,
                        float negativeSlope, CpuTensor alpha) {
        int heads = sourceScores.cols;
        int[] offsets = graph.csr.offsets();
        int[] sources = graph.csr.sources();
        float[] s = sourceScores.data;
        float[] t = targetScores.data;
        float[] a = alpha.data;
        parallel.forRange(graph.nodeCount(), graph.targetGrain(heads * 8L), (start, end) -> {
            for (int i = start; i < end; i++) {
                int first = offsets[i];
                int last = offsets[i + 1];
                for (int slot = first; slot < last; slot++) {
                    int j = sources[slot];
                    for (int h = 0; h < heads; h++) {
                        float e = s[j * heads + h] + t[i * heads + h];
                        a[slot * heads + h] = Math.max(e, e * negativeSlope);
                    }
                }
                normalize(a, first, last, heads);
            }
        });
    }

    /**
     * Turns the raw scores a[first·H .. last·H) into a softmax per head, in place. Heads outermost keeps
     * the running maximum and sum in registers; the target's slots are in cache after the first pass.
     */
    static void normalize(float[] a, int first, int last, int heads) {
        for (int h = 0; h < heads; h++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int e = first * heads + h; e < last * heads; e += heads) {
                max = Math.max(max, a[e]);
            }
            float sum = 0f;
            for (int e = first * heads + h; e < last * heads; e += heads) {
                float ex = Exponential.exp(a[e] - max);
                a[e] = ex;
                sum += ex;
            }
            float inverse = 1f / sum;
            for (int e = first * heads + h; e < last * heads; e += heads) {
                a[e] *= inverse;
            }
        }
    }

    /** Softmax backward in place: dAlpha becomes the gradient of the raw scores, per target and head. */
    static void softmaxBackward(float[] a, float[] g, int first, int last, int heads) {
        for (int h = 0; h < heads; h++) {
            float dot = 0f;
            for (int e = first * heads + h; e < last * heads; e += heads) {
                dot += a[e] * g[e];
            }
            for (int e = first * heads + h; e < last * heads; e += heads) {
                g[e] = a[e] * (g[e] - dot);
            }
        }
    }

    static void backward(Parallel parallel, CpuGraph graph, CpuTensor sourceScores, CpuTensor targetScores,
                         float negativeSlope, CpuTensor alpha, CpuTensor dAlpha, CpuTensor dSourceScores,
                         CpuTensor dTargetScores) {
        int heads = sourceScores.cols;
        int[] offsets = graph.csr.offsets();
        int[] sources = graph.csr.sources();
        float[] s = sourceScores.data;
        float[] t = targetScores.data;
        float[] a = alpha.data;
        float[] g = dAlpha.data;
        float[] dt = dTargetScores.data;
        parallel.forRange(graph.nodeCount(), graph.targetGrain(heads * 6L), (start, end) -> {
            for (int i = start; i < end; i++) {
                int first = offsets[i];
                int last = offsets[i + 1];
                softmaxBackward(a, g, first, last, heads);
                for (int h = 0; h < heads; h++) {
                    dt[i * heads + h] = 0f;
                }
                for (int slot = first; slot < last; slot++) {
                    int j = sources[slot];
                    for (int h = 0; h < heads; h++) {
                        int e = slot * heads + h;
                        float pre = s[j * heads + h] + t[i * heads + h];
                        float de = g[e] * (pre > 0f ? 1f : negativeSlope);
                        g[e] = de;
                        dt[i * heads + h] += de;
                    }
                }
            }
        });
        sumOverOutgoing(parallel, graph, g, heads, dSourceScores.data);
    }

    /** perSource[j,h] = Σ over the outgoing slots of j of perSlot[slot,h]. */
    static void sumOverOutgoing(Parallel parallel, CpuGraph graph, float[] perSlot, int heads, float[] perSource) {
        int[] outOffsets = graph.csr.outOffsets();
        int[] outSlots = graph.csr.outSlots();
        parallel.forRange(graph.sourceCount(), graph.sourceGrain(heads), (start, end) -> {
            for (int j = start; j < end; j++) {
                for (int h = 0; h < heads; h++) {
                    perSource[j * heads + h] = 0f;
                }
                for (int p = outOffsets[j]; p < outOffsets[j + 1]; p++) {
                    int slot = outSlots[p];
                    for (int h = 0; h < heads; h++) {
                        perSource[j * heads + h] += perSlot[slot * heads + h];
                    }
                }
            }
        });
    }
}
