package dev.neogat.nn.cpu;

import dev.neogat.util.Parallel;

import java.util.Arrays;

/**
 * Dense projection with input dropout: {@code out = (x ∘ keep·s) · W + b}, x: [n, k], W: [k, m].
 *
 * <p>Backward: {@code dW = (x ∘ keep·s)ᵀ · dOut} (row chunks write partials, summed in chunk order),
 * {@code db = Σ_i dOut[i]}, {@code dx += (dOut · Wᵀ) ∘ keep·s}.
 *
 * <p>Loops are arranged so that the innermost one runs over a long contiguous row: over the m outputs
 * when m is wide, otherwise over the k inputs against a transposed copy of W (the output layer's m is
 * the class count, often below 10).
 */
final class Linear {

    /** Below this output width the k-long loops are used. */
    private static final int WIDE_OUTPUT = 16;

    private Linear() {
    }

    static void forward(Parallel parallel, CpuTensor in, KeepBits keep, CpuTensor weight, CpuTensor bias,
                        CpuTensor out) {
        int k = in.cols;
        int m = weight.cols;
        float[] x = in.data;
        float[] y = out.data;
        float[] b = bias == null ? null : bias.data;
        if (m >= WIDE_OUTPUT) {
            float[] w = weight.data;
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
                        if (v == 0f || (keep != null && !keep.get(xRow + c))) {
                            continue;
                        }
                        if (keep != null) {
                            v *= keep.scale;
                        }
                        Vectors.axpy(v, w, c * m, y, o, m);
                    }
                }
            });
        } else {
            float[] wt = transpose(weight);
            parallel.forRange(in.rows, Chunking.grain((long) k * m), (start, end) -> {
                float[] row = new float[k];
                for (int i = start; i < end; i++) {
                    float[] xi = droppedRow(x, i, k, keep, row);
                    int xOffset = xi == x ? i * k : 0;
                    for (int j = 0; j < m; j++) {
                        float dot = Vectors.dot(xi, xOffset, wt, j * k, k);
                        y[i * m + j] = b == null ? dot : dot + b[j];
                    }
                }
            });
        }
    }

    static void backward(Parallel parallel, CpuTensor in, KeepBits keep, CpuTensor weight, CpuTensor dOut,
                         CpuTensor dWeight, CpuTensor dBias, CpuTensor dIn) {
        weightGradient(parallel, in, keep, dOut, dWeight);
        if (dBias != null) {
            ColumnSums.compute(parallel, dOut, dBias);
        }
        if (dIn != null) {
            inputGradient(parallel, in, keep, weight, dOut, dIn);
        }
    }

    private static void weightGradient(Parallel parallel, CpuTensor in, KeepBits keep, CpuTensor dOut,
                                       CpuTensor dWeight) {
        int n = in.rows;
        int k = in.cols;
        int m = dOut.cols;
        float[] x = in.data;
        float[] g = dOut.data;
        boolean wide = m >= WIDE_OUTPUT;
        int grain = Chunking.reductionGrain(n);
        float[][] partials = new float[Parallel.chunkCount(n, grain)][];
        parallel.forChunks(n, grain, (chunk, start, end) -> {
            // Wide: partial[c·m + j]; narrow: the transpose, partial[j·k + c].
            float[] part = new float[k * m];
            float[] row = new float[k];
            for (int i = start; i < end; i++) {
                int gRow = i * m;
                if (wide) {
                    int xRow = i * k;
                    for (int c = 0; c < k; c++) {
                        float v = x[xRow + c];
                        if (v == 0f || (keep != null && !keep.get(xRow + c))) {
                            continue;
                        }
                        if (keep != null) {
                            v *= keep.scale;
                        }
                        Vectors.axpy(v, g, gRow, part, c * m, m);
                    }
                } else {
                    float[] xi = droppedRow(x, i, k, keep, row);
                    int xOffset = xi == x ? i * k : 0;
                    for (int j = 0; j < m; j++) {
                        float gij = g[gRow + j];
                        if (gij != 0f) {
                            Vectors.axpy(gij, xi, xOffset, part, j * k, k);
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

    private static void inputGradient(Parallel parallel, CpuTensor in, KeepBits keep, CpuTensor weight,
                                      CpuTensor dOut, CpuTensor dIn) {
        int k = in.cols;
        int m = weight.cols;
        float[] wt = transpose(weight);
        float[] g = dOut.data;
        float[] dx = dIn.data;
        parallel.forRange(in.rows, Chunking.grain((long) k * m), (start, end) -> {
            float[] row = new float[k];
            for (int i = start; i < end; i++) {
                Arrays.fill(row, 0f);
                int gRow = i * m;
                for (int j = 0; j < m; j++) {
                    float gij = g[gRow + j];
                    if (gij != 0f) {
                        Vectors.axpy(gij, wt, j * k, row, 0, k);
                    }
                }
                int xRow = i * k;
                if (keep == null) {
                    for (int c = 0; c < k; c++) {
                        dx[xRow + c] += row[c];
                    }
                } else {
                    for (int c = 0; c < k; c++) {
                        dx[xRow + c] += row[c] * keep.factor(xRow + c);
                    }
                }
            }
        });
    }

    /** Row i of x with dropout applied, in {@code scratch}; x itself when there is no dropout. */
    private static float[] droppedRow(float[] x, int i, int k, KeepBits keep, float[] scratch) {
        if (keep == null) {
            return x;
        }
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
