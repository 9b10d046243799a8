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
 *
 * <p>Wide groups list each row's (forward) or each input column's (weight gradient) non-zero kept inputs
 * first, then add four weight (or dOut) rows per pass over the destination row: dropped and zero inputs
 * cost nothing, and the destination is loaded and stored once per four of them. The weight gradient sums
 * fixed row chunks into partials added in chunk order, and every sum runs in an order fixed by the shape,
 * so results are bit-identical for any thread count.
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
        if (groupWidth >= WIDE_GROUP) {
            wideForward(parallel, in, keeps, weight, bias, out);
            return;
        }
        float[] x = in.data;
        float[] wt = transpose(weight);
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
                    for (int j = first; j < first + groupWidth; j++) {
                        y[o + j] += Vectors.dot(xi, xOffset, wt, j * k, k);
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
        if (groupWidth >= WIDE_GROUP) {
            wideWeightGradient(parallel, in, keeps, dOut, dWeight);
            return;
        }
        float[] x = in.data;
        float[] g = dOut.data;
        int grain = Chunking.reductionGrain(n);
        float[][] partials = new float[Parallel.chunkCount(n, grain)][];
        parallel.forChunks(n, grain, (chunk, start, end) -> {
            // The transpose of dW: partial[j·k + c].
            float[] part = new float[k * m];
            float[] row = new float[k];
            for (int i = start; i < end; i++) {
                int gRow = i * m;
                for (int grp = 0; grp < groups; grp++) {
                    float[] xi = keeps == null ? x : droppedRow(x, i, k, keeps[grp], row);
                    int xOffset = keeps == null ? i * k : 0;
                    int first = grp * groupWidth;
                    for (int j = first; j < first + groupWidth; j++) {
                        float gij = g[gRow + j];
                        if (gij != 0f) {
                            Vectors.axpy(gij, xi, xOffset, part, j * k, k);
                        }
                    }
                }
            }
            partials[chunk] = part;
        });
        float[] transposed = new float[k * m];
        ColumnSums.sumInOrder(parallel, partials, transposed);
        float[] dw = dWeight.data;
        for (int j = 0; j < m; j++) {
            for (int c = 0; c < k; c++) {
                dw[c * m + j] = transposed[j * k + c];
            }
        }
    }

    /**
     * Forward for wide groups: y[i, group g] = b + Σ_c x[i, c]·keep_g·s · W[c, group g]. Each row's non-zero
     * kept inputs are listed first (without branching on the unpredictable mask bits), then added four weight
     * rows at a time, so a dropped or zero input costs nothing and each output row is loaded and stored once
     * per four inputs.
     */
    private static void wideForward(Parallel parallel, CpuTensor in, KeepBits[] keeps, CpuTensor weight,
                                    CpuTensor bias, CpuTensor out) {
        int n = in.rows;
        int k = in.cols;
        int m = weight.cols;
        int groups = keeps == null ? 1 : keeps.length;
        int groupWidth = m / groups;
        float[] x = in.data;
        float[] w = weight.data;
        float[] y = out.data;
        float[] b = bias == null ? null : bias.data;
        parallel.forRange(n, Chunking.grain((long) k * m), (start, end) -> {
            int[] inputs = new int[k];
            float[] values = new float[k];
            for (int i = start; i < end; i++) {
                if (b == null) {
                    Arrays.fill(y, i * m, (i + 1) * m, 0f);
                } else {
                    System.arraycopy(b, 0, y, i * m, m);
                }
                for (int g = 0; g < groups; g++) {
                    int count = keptInputs(x, i * k, k, keeps == null ? null : keeps[g], 1, inputs, values);
                    accumulateQuads(inputs, values, count, w, 0, m, y, i * m, g * groupWidth, groupWidth);
                }
            }
        });
    }

    /**
     * Lists the non-zero values of x[offset + q·stride] (q < count), each times its keep factor, with q in
     * {@code positions}; returns how many.
     */
    private static int keptInputs(float[] x, int offset, int count, KeepBits keep, int stride, int[] positions,
                                  float[] values) {
        int kept = 0;
        for (int q = 0; q < count; q++) {
            int index = offset + q * stride;
            float v = keep == null ? x[index] : x[index] * keep.factor(index);
            positions[kept] = q;
            values[kept] = v;
            kept += v != 0f ? 1 : 0;
        }
        return kept;
    }

    /**
     * to[toRow + first .. + width) += Σ_q values[q] · from[fromBase + rows[q]·m + first .. + width), four entries
     * per pass
     * (added in a fixed order), so that the destination row is loaded and stored a quarter as often.
     */
    private static void accumulateQuads(int[] rows, float[] values, int count, float[] from, int fromBase, int m,
                                        float[] to, int toRow, int first, int width) {
        int target = toRow + first;
        int q = 0;
        for (; q + 3 < count; q += 4) {
            float v0 = values[q];
            float v1 = values[q + 1];
            float v2 = values[q + 2];
            float v3 = values[q + 3];
            int r0 = fromBase + rows[q] * m + first;
            int r1 = fromBase + rows[q + 1] * m + first;
            int r2 = fromBase + rows[q + 2] * m + first;
            int r3 = fromBase + rows[q + 3] * m + first;
            for (int j = 0; j < width; j++) {
                to[target + j] += (v0 * from[r0 + j] + v1 * from[r1 + j]) + (v2 * from[r2 + j] + v3 * from[r3 + j]);
            }
        }
        for (; q < count; q++) {
            Vectors.axpy(values[q], from, fromBase + rows[q] * m + first, to, target, width);
        }
    }

    /**
     * dW[c, group g] = Σ_i x[i, c]·keep_g·s · dOut[i, group g]. Fixed row chunks write partials, summed in
     * chunk order; within a chunk, each input column's non-zero kept values are listed first and their dOut
     * rows added four at a time, as in the forward pass.
     */
    private static void wideWeightGradient(Parallel parallel, CpuTensor in, KeepBits[] keeps, CpuTensor dOut,
                                           CpuTensor dWeight) {
        int n = in.rows;
        int k = in.cols;
        int m = dOut.cols;
        int groups = keeps == null ? 1 : keeps.length;
        int groupWidth = m / groups;
        float[] x = in.data;
        float[] g = dOut.data;
        int grain = Chunking.reductionGrain(n);
        float[][] partials = new float[Parallel.chunkCount(n, grain)][];
        parallel.forChunks(n, grain, (chunk, start, end) -> {
            float[] part = new float[k * m];
            int[] rows = new int[end - start];
            float[] values = new float[end - start];
            for (int c = 0; c < k; c++) {
                for (int grp = 0; grp < groups; grp++) {
                    int count = keptInputs(x, start * k + c, end - start, keeps == null ? null : keeps[grp], k,
                            rows, values);
                    accumulateQuads(rows, values, count, g, start * m, m, part, c * m, grp * groupWidth,
                            groupWidth);
                }
            }
            partials[chunk] = part;
        });
        ColumnSums.sumInOrder(parallel, partials, dWeight.data);
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
