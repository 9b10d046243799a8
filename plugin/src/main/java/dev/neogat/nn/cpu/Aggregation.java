package dev.neogat.nn.cpu;

import dev.neogat.util.Parallel;

import java.util.Arrays;

/**
 * Attention-weighted sum of messages: {@code out[i,h] = Σ_(j→i) alpha'[j→i,h] · m[j,h]} with
 * {@code alpha' = alpha ∘ keep·s} (attention dropout), heads concatenated into [n, H·C] or averaged
 * into [n, C].
 *
 * <p>Backward, with {@code g[i,h] = dOut[i,h]} (concat) or {@code dOut[i]/H} (mean):
 * {@code dAlpha[j→i,h] = keep·s · (g[i,h] · m[j,h])} gathered per target, and
 * {@code dm[j,h] += Σ_(j→i) alpha'[j→i,h] · g[i,h]} gathered per source over the transposed index.
 */
final class Aggregation {

    private Aggregation() {
    }

    static void forward(Parallel parallel, CpuGraph graph, CpuTensor alpha, KeepBits keep, CpuTensor messages,
                        boolean concat, CpuTensor out) {
        int heads = alpha.cols;
        int width = messages.cols;
        int channels = width / heads;
        int outWidth = out.cols;
        int[] offsets = graph.csr.offsets();
        int[] sources = graph.csr.sources();
        float[] a = alpha.data;
        float[] m = messages.data;
        float[] y = out.data;
        float scale = keep == null ? 1f : keep.scale;
        parallel.forRange(graph.nodeCount(), graph.targetGrain(width), (start, end) -> {
            for (int i = start; i < end; i++) {
                int o = i * outWidth;
                Arrays.fill(y, o, o + outWidth, 0f);
                for (int slot = offsets[i]; slot < offsets[i + 1]; slot++) {
                    int j = sources[slot];
                    for (int h = 0; h < heads; h++) {
                        int e = slot * heads + h;
                        float weight = a[e];
                        if (keep != null) {
                            if (!keep.get(e)) {
                                continue;
                            }
                            weight *= scale;
                        }
                        int from = j * width + h * channels;
                        int to = concat ? o + h * channels : o;
                        for (int c = 0; c < channels; c++) {
                            y[to + c] += weight * m[from + c];
                        }
                    }
                }
                if (!concat && heads > 1) {
                    for (int c = 0; c < outWidth; c++) {
                        y[o + c] /= heads;
                    }
                }
            }
        });
    }

    static void backward(Parallel parallel, CpuGraph graph, CpuTensor alpha, KeepBits keep, CpuTensor messages,
                         boolean concat, CpuTensor dOut, CpuTensor dMessages, CpuTensor dAlpha) {
        int heads = alpha.cols;
        int width = messages.cols;
        int channels = width / heads;
        int outWidth = dOut.cols;
        float headScale = concat ? 1f : 1f / heads;
        int[] offsets = graph.csr.offsets();
        int[] sources = graph.csr.sources();
        float[] a = alpha.data;
        float[] m = messages.data;
        float[] g = dOut.data;
        float[] da = dAlpha.data;
        float scale = keep == null ? 1f : keep.scale;
        parallel.forRange(graph.nodeCount(), graph.targetGrain(width), (start, end) -> {
            for (int i = start; i < end; i++) {
                int o = i * outWidth;
                for (int slot = offsets[i]; slot < offsets[i + 1]; slot++) {
                    int j = sources[slot];
                    for (int h = 0; h < heads; h++) {
                        int e = slot * heads + h;
                        if (keep != null && !keep.get(e)) {
                            da[e] = 0f;
                            continue;
                        }
                        int from = j * width + h * channels;
                        int gi = concat ? o + h * channels : o;
                        float dot = 0f;
                        for (int c = 0; c < channels; c++) {
                            dot += g[gi + c] * m[from + c];
                        }
                        da[e] = dot * headScale * scale;
                    }
                }
            }
        });

        int[] outOffsets = graph.csr.outOffsets();
        int[] outSlots = graph.csr.outSlots();
        int[] outTargets = graph.csr.outTargets();
        float[] dm = dMessages.data;
        parallel.forRange(graph.nodeCount(), graph.sourceGrain(width), (start, end) -> {
            for (int j = start; j < end; j++) {
                for (int p = outOffsets[j]; p < outOffsets[j + 1]; p++) {
                    int slot = outSlots[p];
                    int gi0 = outTargets[p] * outWidth;
                    for (int h = 0; h < heads; h++) {
                        int e = slot * heads + h;
                        float weight = a[e];
                        if (keep != null) {
                            if (!keep.get(e)) {
                                continue;
                            }
                            weight *= scale;
                        }
                        weight *= headScale;
                        int to = j * width + h * channels;
                        int gi = concat ? gi0 + h * channels : gi0;
                        for (int c = 0; c < channels; c++) {
                            dm[to + c] += weight * g[gi + c];
                        }
                    }
                }
            }
        });
    }
}
