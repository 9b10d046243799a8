package dev.neogat.nn.cpu;

import dev.neogat.util.Parallel;

import java.util.Arrays;

/**
 * Dense projection with input dropout: {@code out = (x ∘ keep·s) · W + b}, x: [n, k], W: [k, m]. With
 * G masks, output columns form G equal groups and group g sees x dropped by mask g.
 *
 * <p>Backward: {@code dW = (x ∘ keep·s)ᵀ · dOut} (row chunks write partials, summed in chunk order),
 * {@code dx += Σ_g (dOut_g · W_gᵀ) ∘ keep_g·s}. The bias gradient is a column sum (ColumnSums).
 *
 * <p>Loops are arranged so that the innermost one runs over a long contiguous row: over a group's
 * outputs when the group is wide, otherwise over the k inputs against a transposed copy of W (the output
 * layer's width is the class count, often below 10; a head's width is often 8).
 */
final class Linear {

    /** From this group width on, loops run over output columns. */
    private static final int WIDE_GROUP = 16;

    private Linear() {
    }

    static void forward(Parallel parallel, CpuTensor in, KeepBits[] keeps, CpuTensor weight, CpuTensor bias,
                        CpuTensor out) {
        int k = in.cols;
        int m = weight.cols;
        int groups = keeps == null ? 1 : keeps.length;
        int groupWidth = m / groups;
        boolean wide = groupWidth >= WIDE_GROUP;
        float[] x = in.data;
        float[] w = weight.data;
        float[] wt = wide ? null : transpose(weight);
        float[] y = out.data;
        float[] b = bias == null ? null : bias.data;
        parallel.forRange(in.rows, Chunking.grain((long) k * m), (start, end) -> {
            float[] row = new float[k];
            for (int i = start; i < end; i++) {
                int o = i * m;
                if (b == null) {
                    Arrays.fill(y, o, o + m, 0f);
                } else {
                    System.arraycopy(b, 0, y, o, m);
                }
                for (int g = 0; g < groups; g++) {
                    float[] xi = keeps == null ? x : droppedRow(x, i, k, keeps[g], row);
                    int xOffset = keeps == null ? i * k : 0;
                    int first = g * groupWidth;
                    if (wide) {
                        for (int c = 0; c < k; c++) {
                            float v = xi[xOffset + c];
                            if (v != 0f) {
                                Vectors.axpy(v, w, c * m + first, y, o + first, groupWidth);
                            }
                        }
                    } else {
                        for (int j = first; j < first + groupWidth; j++) {
                            y[o + j] += Vectors.dot(xi, xOffset, wt, j * k, k);
                        }
                    }
                }
            }
        });
    }

    static void backward(Parallel parallel, CpuTensor in, KeepBits[] keeps, CpuTensor weight, CpuTensor dOut,
                         CpuTensor dWeight, CpuTensor dBias, CpuTensor dIn) {
        weightGradient(parallel, in, keeps, dOut, dWeight);
        if (dBias != null) {
            ColumnSums.compute(parallel, dOut, dBias);
        }
        if (dIn != null) {
            inputGradient(parallel, in, keeps, weight, dOut, dIn);
        }
    }

    private static void weightGradient(Parallel parallel, CpuTensor in, KeepBits[] keeps, CpuTensor dOut,
                                       CpuTensor dWeight) {
        int n = in.rows;
        int k = in.cols;
        int m = dOut.cols;
        int groups = keeps == null ? 1 : keeps.length;
        int groupWidth = m / groups;
        boolean wide = groupWidth >= WIDE_GROUP;
        float[] x = in.data;
        float[] g = dOut.data;
        int grain = Chunking.reductionGrain(n);
        float[][] partials = new float[Parallel.chunkCount(n, grain)][];
        parallel.forChunks(n, grain, (chunk, start, end) -> {
            // Wide: partial[c·m + j]; narrow: the transpose, partial[j·k + c].
            float[] part = new float[k * m];
            float[] row = new float[k];
            for (int i = start; i < end; i++) {
                int gRow = i * m;
                for (int grp = 0; grp < groups; grp++) {
                    float[] xi = keeps == null ? x : droppedRow(x, i, k, keeps[grp], row);
                    int xOffset = keeps == null ? i * k : 0;
                    int first = grp * groupWidth;
                    if (wide) {
                        for (int c = 0; c < k; c++) {
                            float v = xi[xOffset + c];
                            if (v != 0f) {
                                Vectors.axpy(v, g, gRow + first, part, c * m + first, groupWidth);
                            }
                        }
                    } else {
                        for (int j = first; j < first + groupWidth; j++) {
                            float gij = g[gRow + j];
                            if (gij != 0f) {
                                Vectors.axpy(gij, xi, xOffset, part, j * k, k);
                            }
                        }
                    }
                }
            }
            partials[chunk] = part;
        });
        if (wide) {
            ColumnSums.sumInOrder(parallel, partials, dWeight.data);
        } else {
            float[] transposed = new float[k * m];
            ColumnSums.sumInOrder(parallel, partials, transposed);
            float[] dw = dWeight.data;
            for (int j = 0; j < m; j++) {
                for (int c = 0; c < k; c++) {
                    dw[c * m + j] = transposed[j * k + c];
                }
            }
        }
    }

    private static void inputGradient(Parallel parallel, CpuTensor in, KeepBits[] keeps, CpuTensor weight,
                                      CpuTensor dOut, CpuTensor dIn) {
        int k = in.cols;
        int m = weight.cols;
        int groups = keeps == null ? 1 : keeps.length;
        int groupWidth = m / groups;
        float[] wt = transpose(weight);
        float[] g = dOut.data;
        float[] dx = dIn.data;
        parallel.forRange(in.rows, Chunking.grain((long) k * m), (start, end) -> {
            float[] row = new float[k];
            for (int i = start; i < end; i++) {
                int gRow = i * m;
                int xRow = i * k;
                for (int grp = 0; grp < groups; grp++) {
                    Arrays.fill(row, 0f);
                    int first = grp * groupWidth;
                    for (int j = first; j < first + groupWidth; j++) {
                        float gij = g[gRow + j];
                        if (gij != 0f) {
                            Vectors.axpy(gij, wt, j * k, row, 0, k);
                        }
                    }
                    if (keeps == null) {
                        for (int c = 0; c < k; c++) {
                            dx[xRow + c] += row[c];
                        }
                    } else {
                        KeepBits keep = keeps[grp];
                        for (int c = 0; c < k; c++) {
                            dx[xRow + c] += row[c] * keep.factor(xRow + c);
                        }
                    }
                }
            }
        });
    }

    /** Row i of x with dropout applied, in {@code scratch}. */
    private static float[] droppedRow(float[] x, int i, int k, KeepBits keep, float[] scratch) {
        int xRow = i * k;
        for (int c = 0; c < k; c++) {
            scratch[c] = x[xRow + c] * keep.factor(xRow + c);
        }
        return scratch;
    }

    /** W [k, m] → Wᵀ [m, k]. */
    private static float[] transpose(CpuTensor weight) {
        int k = weight.rows;
        int m = weight.cols;
        float[] w = weight.data;
        float[] wt = new float[k * m];
        for (int c = 0; c < k; c++) {
            for (int j = 0; j < m; j++) {
                wt[j * k + c] = w[c * m + j];
            }
        }
        return wt;
    }
}
