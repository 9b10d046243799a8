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
 *
 * <p>Sums over edges run in slot order into four channels held in local variables at a time, so the
 * output row is written once per block instead of once per edge.
 */
final class Aggregation {

    private static final int BLOCK = 4;

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
        parallel.forRange(graph.nodeCount(), graph.targetGrain(width), (start, end) -> {
            for (int i = start; i < end; i++) {
                int o = i * outWidth;
                Arrays.fill(y, o, o + outWidth, 0f);
                int first = offsets[i];
                int last = offsets[i + 1];
                for (int h = 0; h < heads; h++) {
                    int to = concat ? o + h * channels : o;
                    int c = 0;
                    for (; c + BLOCK <= channels; c += BLOCK) {
                        float y0 = 0f;
                        float y1 = 0f;
                        float y2 = 0f;
                        float y3 = 0f;
                        for (int slot = first; slot < last; slot++) {
                            int e = slot * heads + h;
                            float weight = keep == null ? a[e] : a[e] * keep.factor(e);
                            int from = sources[slot] * width + h * channels + c;
                            y0 += weight * m[from];
                            y1 += weight * m[from + 1];
                            y2 += weight * m[from + 2];
                            y3 += weight * m[from + 3];
                        }
                        y[to + c] += y0;
                        y[to + c + 1] += y1;
                        y[to + c + 2] += y2;
                        y[to + c + 3] += y3;
                    }
                    for (; c < channels; c++) {
                        float sum = 0f;
                        for (int slot = first; slot < last; slot++) {
                            int e = slot * heads + h;
                            float weight = keep == null ? a[e] : a[e] * keep.factor(e);
                            sum += weight * m[sources[slot] * width + h * channels + c];
                        }
                        y[to + c] += sum;
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
        parallel.forRange(graph.nodeCount(), graph.targetGrain(width), (start, end) -> {
            for (int i = start; i < end; i++) {
                int o = i * outWidth;
                for (int slot = offsets[i]; slot < offsets[i + 1]; slot++) {
                    int j = sources[slot];
                    for (int h = 0; h < heads; h++) {
                        int e = slot * heads + h;
                        int from = j * width + h * channels;
                        int gi = concat ? o + h * channels : o;
                        float dot = 0f;
                        for (int c = 0; c < channels; c++) {
                            dot += g[gi + c] * m[from + c];
                        }
                        da[e] = keep == null ? dot * headScale : dot * headScale * keep.factor(e);
                    }
                }
            }
        });

        int[] outOffsets = graph.csr.outOffsets();
        int[] outSlots = graph.csr.outSlots();
        int[] outTargets = graph.csr.outTargets();
        float[] dm = dMessages.data;
        parallel.forRange(graph.sourceCount(), graph.sourceGrain(width), (start, end) -> {
            for (int j = start; j < end; j++) {
                int first = outOffsets[j];
                int last = outOffsets[j + 1];
                for (int h = 0; h < heads; h++) {
                    int to = j * width + h * channels;
                    int head = concat ? h * channels : 0;
                    int c = 0;
                    for (; c + BLOCK <= channels; c += BLOCK) {
                        float d0 = 0f;
                        float d1 = 0f;
                        float d2 = 0f;
                        float d3 = 0f;
                        for (int p = first; p < last; p++) {
                            int e = outSlots[p] * heads + h;
                            float weight = (keep == null ? a[e] : a[e] * keep.factor(e)) * headScale;
                            int gi = outTargets[p] * outWidth + head + c;
                            d0 += weight * g[gi];
                            d1 += weight * g[gi + 1];
                            d2 += weight * g[gi + 2];
                            d3 += weight * g[gi + 3];
                        }
                        dm[to + c] += d0;
                        dm[to + c + 1] += d1;
                        dm[to + c + 2] += d2;
                        dm[to + c + 3] += d3;
                    }
                    for (; c < channels; c++) {
                        float sum = 0f;
                        for (int p = first; p < last; p++) {
                            int e = outSlots[p] * heads + h;
                            float weight = (keep == null ? a[e] : a[e] * keep.factor(e)) * headScale;
                            sum += weight * g[outTargets[p] * outWidth + head + c];
                        }
                        dm[to + c] += sum;
                    }
                }
            }
        });
    }
}
