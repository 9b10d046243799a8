package dev.neogat.nn.cpu;

import dev.neogat.util.Exponential;
import dev.neogat.util.Parallel;

/**
 * The softmax over each target's incoming slots that every attention variant shares:
 * {@code alpha[j→i,h] = exp(e - max_i) / Σ_(k→i) exp(e[k→i,h] - max_i)}, per head, in place over the raw
 * scores e. Subtracting the target's maximum keeps exp finite; a target without incoming slots has no
 * attention and receives nothing.
 *
 * <p>Backward: {@code de = alpha ∘ (dAlpha - Σ_i alpha·dAlpha)} per target and head, in place over dAlpha.
 */
final class EdgeSoftmax {

    private EdgeSoftmax() {
    }

    static void forward(Parallel parallel, CpuGraph graph, CpuTensor scores) {
        int heads = scores.cols;
        int[] offsets = graph.csr.offsets();
        float[] a = scores.data;
        parallel.forRange(graph.nodeCount(), graph.targetGrain(heads * 6L), (start, end) -> {
            for (int i = start; i < end; i++) {
                normalize(a, offsets[i], offsets[i + 1], heads);
            }
        });
    }

    static void backward(Parallel parallel, CpuGraph graph, CpuTensor alpha, CpuTensor dAlpha) {
        int heads = alpha.cols;
        int[] offsets = graph.csr.offsets();
        float[] a = alpha.data;
        float[] g = dAlpha.data;
        parallel.forRange(graph.nodeCount(), graph.targetGrain(heads * 4L), (start, end) -> {
            for (int i = start; i < end; i++) {
                softmaxBackward(a, g, offsets[i], offsets[i + 1], heads);
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
