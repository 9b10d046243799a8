package dev.neogat.nn;

import java.util.Arrays;

/**
 * A sparse matrix in compressed sparse row form on the host: row i holds the columns
 * {@code columns[rowOffsets[i] .. rowOffsets[i+1]-1]}, ascending and distinct, with their values.
 * Bag-of-words features stay in this form all the way into the first layer's projection.
 */
public final class SparseMatrix implements FeatureMatrix {

    private final int rows;
    private final int cols;
    private final int[] rowOffsets;
    private final int[] columns;
    private final float[] values;

    /** Validates and wraps the arrays (not copied). */
    public SparseMatrix(int rows, int cols, int[] rowOffsets, int[] columns, float[] values) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("Matrix shape must not be negative: " + rows + " x " + cols);
        }
        if (rowOffsets.length != rows + 1 || rowOffsets[0] != 0) {
            throw new IllegalArgumentException("Row offsets must have " + (rows + 1) + " entries starting at 0");
        }
        if (columns.length != values.length || rowOffsets[rows] != columns.length) {
            throw new IllegalArgumentException("Sparse matrix has " + columns.length + " columns, "
                    + values.length + " values and " + rowOffsets[rows] + " entries by its offsets");
        }
        for (int i = 0; i < rows; i++) {
            int start = rowOffsets[i];
            int end = rowOffsets[i + 1];
            if (end < start) {
                throw new IllegalArgumentException("Row offsets decrease at row " + i);
            }
            if (end > columns.length) {
                throw new IllegalArgumentException("Feature row " + i + " ends at entry " + end + " but there are only "
                        + columns.length + " entries");
            }
            for (int p = start; p < end; p++) {
                int c = columns[p];
                if (c < 0 || c >= cols) {
                    throw new IllegalArgumentException("Feature row " + i + " has column " + c
                            + " outside [0, " + cols + ")");
                }
                if (p > start && c <= columns[p - 1]) {
                    throw new IllegalArgumentException("Feature row " + i + " lists column " + c
                            + " after column " + columns[p - 1] + "; columns must be ascending and distinct");
                }
                if (!Float.isFinite(values[p])) {
                    throw new IllegalArgumentException("Feature value " + values[p] + " at row " + i
                            + ", column " + c + " is not a finite number");
                }
            }
        }
        this.rows = rows;
        this.cols = cols;
        this.rowOffsets = rowOffsets;
        this.columns = columns;
        this.values = values;
    }

    /** Keeps the non-zero entries of a dense row-major array. */
    public static SparseMatrix fromDense(int rows, int cols, float[] dense) {
        if ((long) rows * cols != dense.length) {
            throw new IllegalArgumentException("A " + rows + " x " + cols + " matrix needs " + (long) rows * cols
                    + " values, got " + dense.length);
        }
        int nonZeros = 0;
        for (float v : dense) {
            if (v != 0) {
                nonZeros++;
            }
        }
        int[] offsets = new int[rows + 1];
        int[] columns = new int[nonZeros];
        float[] values = new float[nonZeros];
        int p = 0;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                float v = dense[i * cols + j];
                if (v != 0) {
                    columns[p] = j;
                    values[p++] = v;
                }
            }
            offsets[i + 1] = p;
        }
        return new SparseMatrix(rows, cols, offsets, columns, values);
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public long storedValues() {
        return values.length;
    }

    public int[] rowOffsets() {
        return rowOffsets;
    }

    public int[] columns() {
        return columns;
    }

    public float[] values() {
        return values;
    }

    public float[] toDense() {
        float[] dense = new float[Math.multiplyExact(rows, cols)];
        for (int i = 0; i < rows; i++) {
            for (int p = rowOffsets[i]; p < rowOffsets[i + 1]; p++) {
                dense[i * cols + columns[p]] = values[p];
            }
        }
        return dense;
    }

    @Override
    public SparseMatrix rowNormalized() {
        float[] normalized = Arrays.copyOf(values, values.length);
        for (int i = 0; i < rows; i++) {
            float sum = 0;
            for (int p = rowOffsets[i]; p < rowOffsets[i + 1]; p++) {
                sum += normalized[p];
            }
            if (sum != 0) {
                for (int p = rowOffsets[i]; p < rowOffsets[i + 1]; p++) {
                    normalized[p] /= sum;
                }
            }
        }
        return new SparseMatrix(rows, cols, rowOffsets, columns, normalized);
    }
}
