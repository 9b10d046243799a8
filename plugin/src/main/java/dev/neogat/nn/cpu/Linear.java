package dev.neogat.nn.cpu;

import dev.neogat.util.DropoutMask;
import dev.neogat.util.Parallel;

import java.util.Arrays;

/**
 * Dense projection with input dropout: {@code out = (x ∘ mask·s) · W + b}, x: [n, k], W: [k, m].
 * The mask is recomputed from its key in both directions, never stored.
 *
 * <p>Backward: {@code dW = (x ∘ mask·s)ᵀ · dOut} (row chunks write partials, summed in chunk order),
 * {@code db = Σ_i dOut[i]}, {@code dx += (dOut · Wᵀ) ∘ mask·s}.
 */
final class Linear {

    private Linear() {
    }

    static void forward(Parallel parallel, CpuTensor in, DropoutMask mask, CpuTensor weight, CpuTensor bias,
                        CpuTensor out) {
        int k = in.cols;
        int m = weight.cols;
        float[] x = in.data;
        float[] w = weight.data;
        float[] y = out.data;
        float[] b = bias == null ? null : bias.data;
        float scale = mask == null ? 1f : (float) mask.scale();
        parallel.forRange(in.rows, Chunking.grain((long) k * m), (start, end) -> {
            for (int i = start; i < end; i++) {
                int o = i * m;
                if (b == null) {
                    Arrays.fill(y, o, o + m, 0f);
                } else {
                    System.arraycopy(b, 0, y, o, m);
                }
                int xRow = i * k;
                for (int c = 0; c < k; c++) {
                    float v = x[xRow + c];
                    if (v == 0f) {
                        continue;
                    }
                    if (mask != null) {
                        if (!mask.keep(xRow + c)) {
                            continue;
                        }
                        v *= scale;
                    }
                    int wRow = c * m;
                    for (int j = 0; j < m; j++) {
                        y[o + j] += v * w[wRow + j];
                    }
                }
            }
        });
    }

    static void backward(Parallel parallel, CpuTensor in, DropoutMask mask, CpuTensor weight, CpuTensor dOut,
                         CpuTensor dWeight, CpuTensor dBias, CpuTensor dIn) {
        weightGradient(parallel, in, mask, dOut, dWeight);
        if (dBias != null) {
            ColumnSums.compute(parallel, dOut, dBias);
        }
        if (dIn != null) {
            inputGradient(parallel, in, mask, weight, dOut, dIn);
        }
    }

    private static void weightGradient(Parallel parallel, CpuTensor in, DropoutMask mask, CpuTensor dOut,
                                       CpuTensor dWeight) {
        int n = in.rows;
        int k = in.cols;
        int m = dOut.cols;
        float[] x = in.data;
        float[] g = dOut.data;
        float scale = mask == null ? 1f : (float) mask.scale();
        int grain = Chunking.reductionGrain(n);
        float[][] partials = new float[Parallel.chunkCount(n, grain)][];
        parallel.forChunks(n, grain, (chunk, start, end) -> {
            float[] part = new float[k * m];
            for (int i = start; i < end; i++) {
                int xRow = i * k;
                int gRow = i * m;
                for (int c = 0; c < k; c++) {
                    float v = x[xRow + c];
                    if (v == 0f) {
                        continue;
                    }
                    if (mask != null) {
                        if (!mask.keep(xRow + c)) {
                            continue;
                        }
                        v *= scale;
                    }
                    int pRow = c * m;
                    for (int j = 0; j < m; j++) {
                        part[pRow + j] += v * g[gRow + j];
                    }
                }
            }
            partials[chunk] = part;
        });
        ColumnSums.sumInOrder(parallel, partials, dWeight.data);
    }

    private static void inputGradient(Parallel parallel, CpuTensor in, DropoutMask mask, CpuTensor weight,
                                      CpuTensor dOut, CpuTensor dIn) {
        int k = in.cols;
        int m = weight.cols;
        float[] w = weight.data;
        float[] g = dOut.data;
        float[] dx = dIn.data;
        float scale = mask == null ? 1f : (float) mask.scale();
        parallel.forRange(in.rows, Chunking.grain((long) k * m), (start, end) -> {
            for (int i = start; i < end; i++) {
                int gRow = i * m;
                int xRow = i * k;
                for (int c = 0; c < k; c++) {
                    if (mask != null && !mask.keep(xRow + c)) {
                        continue;
                    }
                    int wRow = c * m;
                    float dot = 0f;
                    for (int j = 0; j < m; j++) {
                        dot += g[gRow + j] * w[wRow + j];
                    }
                    dx[xRow + c] += mask == null ? dot : dot * scale;
                }
            }
        });
    }
}
