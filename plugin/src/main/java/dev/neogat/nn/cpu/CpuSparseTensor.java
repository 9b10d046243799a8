package dev.neogat.nn.cpu;

import dev.neogat.nn.SparseMatrix;
import dev.neogat.nn.Tensor;

/**
 * Sparse input features with their transpose: rows for the forward projection (gather weight rows per
 * non-zero), columns for the weight gradient (each weight row is a sum over one feature column, so
 * threads own disjoint rows and need no atomics).
 */
final class CpuSparseTensor implements Tensor {

    final SparseMatrix matrix;
    /** Column c's entries are columnRows/columnEntries[columnOffsets[c] .. columnOffsets[c+1]). */
    final int[] columnOffsets;
    final int[] columnRows;
    /** Position of the entry in row order (where its value is). */
    final int[] columnEntries;

    CpuSparseTensor(SparseMatrix matrix) {
        this.matrix = matrix;
        int cols = matrix.cols();
        int[] rowOffsets = matrix.rowOffsets();
        int[] columns = matrix.columns();
        columnOffsets = new int[cols + 1];
        for (int c : columns) {
            columnOffsets[c + 1]++;
        }
        for (int c = 0; c < cols; c++) {
            columnOffsets[c + 1] += columnOffsets[c];
        }
        int[] cursor = columnOffsets.clone();
        columnRows = new int[columns.length];
        columnEntries = new int[columns.length];
        for (int i = 0; i < matrix.rows(); i++) {
            for (int p = rowOffsets[i]; p < rowOffsets[i + 1]; p++) {
                int q = cursor[columns[p]]++;
                columnRows[q] = i;
                columnEntries[q] = p;
            }
        }
    }

    @Override
    public int rows() {
        return matrix.rows();
    }

    @Override
    public int cols() {
        return matrix.cols();
    }

    @Override
    public boolean isSparse() {
        return true;
    }
}
