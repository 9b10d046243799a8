package dev.neogat.nn.cpu;

import dev.neogat.nn.Tensor;

/** A dense tensor on the Java heap: element (i, j) is {@code data[i * cols + j]}. */
public final class CpuTensor implements Tensor {

    final int rows;
    final int cols;
    final float[] data;

    CpuTensor(int rows, int cols, float[] data) {
        if ((long) rows * cols != data.length) {
            throw new IllegalArgumentException("A " + rows + " x " + cols + " tensor needs " + (long) rows * cols
                    + " values, got " + data.length);
        }
        this.rows = rows;
        this.cols = cols;
        this.data = data;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    /** The backing array (not a copy). */
    public float[] data() {
        return data;
    }

    @Override
    public String toString() {
        return "CpuTensor[" + rows + " x " + cols + "]";
    }
}
