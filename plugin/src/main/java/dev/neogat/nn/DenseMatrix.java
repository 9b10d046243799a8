package dev.neogat.nn;

import java.util.Arrays;

/** A dense row-major matrix on the host; element (i, j) is {@code data[i * cols + j]}. */
public final class DenseMatrix implements FeatureMatrix {

    private final int rows;
    private final int cols;
    private final float[] data;

    /** Wraps {@code data} (not copied); every value must be finite. */
    public DenseMatrix(int rows, int cols, float[] data) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("Matrix shape must not be negative: " + rows + " x " + cols);
        }
        if ((long) rows * cols != data.length) {
            throw new IllegalArgumentException("A " + rows + " x " + cols + " matrix needs " + (long) rows * cols
                    + " values, got " + data.length);
        }
        for (int p = 0; p < data.length; p++) {
            if (!Float.isFinite(data[p])) {
                throw new IllegalArgumentException("Feature value " + data[p] + " at row " + p / cols
                        + ", column " + p % cols + " is not a finite number");
            }
        }
        this.rows = rows;
        this.cols = cols;
        this.data = data;
    }

    /** Copies rows of equal length; a row of another length or a non-finite value is an error naming it. */
    public static DenseMatrix fromRows(float[][] rowValues) {
        if (rowValues.length > 0 && rowValues[0] == null) {
            throw new IllegalArgumentException("Feature row 0 is missing");
        }
        int cols = rowValues.length == 0 ? 0 : rowValues[0].length;
        float[] data = new float[Math.multiplyExact(rowValues.length, cols)];
        for (int i = 0; i < rowValues.length; i++) {
            if (rowValues[i] == null) {
                throw new IllegalArgumentException("Feature row " + i + " is missing");
            }
            if (rowValues[i].length != cols) {
                throw new IllegalArgumentException("Feature row " + i + " has " + rowValues[i].length
                        + " values, expected " + cols + " (the width of row 0)");
            }
            System.arraycopy(rowValues[i], 0, data, i * cols, cols);
        }
        return new DenseMatrix(rowValues.length, cols, data);
    }

    public static DenseMatrix zeros(int rows, int cols) {
        return new DenseMatrix(rows, cols, new float[Math.multiplyExact(rows, cols)]);
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
        return data.length;
    }

    /** The backing array (not a copy). */
    public float[] data() {
        return data;
    }

    public float get(int row, int col) {
        return data[row * cols + col];
    }

    public float[] row(int row) {
        return Arrays.copyOfRange(data, row * cols, (row + 1) * cols);
    }

    @Override
    public DenseMatrix rowNormalized() {
        float[] copy = data.clone();
        for (int i = 0; i < rows; i++) {
            float sum = 0;
            for (int j = 0; j < cols; j++) {
                sum += copy[i * cols + j];
            }
            if (sum != 0) {
                for (int j = 0; j < cols; j++) {
                    copy[i * cols + j] /= sum;
                }
            }
        }
        return new DenseMatrix(rows, cols, copy);
    }
}
