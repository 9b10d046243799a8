package dev.neogat.nn.cpu;

import dev.neogat.util.Exponential;
import dev.neogat.util.Parallel;

/**
 * GAT attention: {@code e[j→i,h] = LeakyReLU(source[j,h] + target[i,h])}, then
 * {@code alpha[j→i,h] = exp(e - max_i) / Σ_(k→i) exp(e[k→i,h] - max_i)} over the incoming slots of each
 * target i. Subtracting the target's maximum keeps exp finite; a target without incoming slots has no
 * attention and receives nothing.
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
            float[] max = new float[heads];
            float[] sum = new float[heads];
            for (int i = start; i < end; i++) {
                int first = offsets[i];
                int last = offsets[i + 1];
                for (int slot = first; slot < last; slot++) {
                    int j = sources[slot];
                    for (int h = 0; h < heads; h++) {
                        float e = s[j * heads + h] + t[i * heads + h];
                        a[slot * heads + h] = e > 0f ? e : e * negativeSlope;
                    }
                }
                normalize(a, first, last, heads, max, sum);
            }
        });
    }

    /** Turns the raw scores a[first*H .. last*H) into a softmax per head, in place. */
    static void normalize(float[] a, int first, int last, int heads, float[] max, float[] sum) {
        if (first == last) {
            return;
        }
        for (int h = 0; h < heads; h++) {
            max[h] = Float.NEGATIVE_INFINITY;
            sum[h] = 0f;
        }
        for (int slot = first; slot < last; slot++) {
            for (int h = 0; h < heads; h++) {
                max[h] = Math.max(max[h], a[slot * heads + h]);
            }
        }
        for (int slot = first; slot < last; slot++) {
            for (int h = 0; h < heads; h++) {
                float ex = Exponential.exp(a[slot * heads + h] - max[h]);
                a[slot * heads + h] = ex;
                sum[h] += ex;
            }
        }
        for (int slot = first; slot < last; slot++) {
            for (int h = 0; h < heads; h++) {
                a[slot * heads + h] /= sum[h];
            }
        }
    }

    /** Softmax backward in place: dAlpha becomes the gradient of the raw scores, per target and head. */
    static void softmaxBackward(float[] a, float[] g, int first, int last, int heads, float[] dot) {
        for (int h = 0; h < heads; h++) {
            dot[h] = 0f;
        }
        for (int slot = first; slot < last; slot++) {
            for (int h = 0; h < heads; h++) {
                dot[h] += a[slot * heads + h] * g[slot * heads + h];
            }
        }
        for (int slot = first; slot < last; slot++) {
            for (int h = 0; h < heads; h++) {
                int e = slot * heads + h;
                g[e] = a[e] * (g[e] - dot[h]);
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
            float[] dot = new float[heads];
            for (int i = start; i < end; i++) {
                int first = offsets[i];
                int last = offsets[i + 1];
                softmaxBackward(a, g, first, last, heads, dot);
                for (int h = 0; h < heads; h++) {
                    dt[i * heads + h] = 0f;
                }
                for (int slot = first; slot < last; slot++) {
                    int j = sources[slot];
                    for (int h = 0; h < heads; h++) {
                        int e = slot * heads + h;
                        float pre = s[j * heads + h] + t[i * heads + h];
                        float de = pre > 0f ? g[e] : g[e] * negativeSlope;
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
        parallel.forRange(graph.nodeCount(), graph.sourceGrain(heads), (start, end) -> {
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
