package dev.neogat.gpu;

import dev.neogat.nn.Tensor;

/** A dense row-major float tensor in device memory. */
final class GpuTensor implements Tensor {

    final int rows;
    final int cols;
    final DeviceBuffer buffer;

    GpuTensor(int rows, int cols, DeviceBuffer buffer) {
        this.rows = rows;
        this.cols = cols;
        this.buffer = buffer;
    }

    int elements() {
        return rows * cols;
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
    public String toString() {
        return "GpuTensor[" + rows + " x " + cols + "]";
    }
}
