package dev.neogat.gpu;

import dev.neogat.nn.Tensor;

/**
 * Sparse input features in device memory: CSR for the forward projection, and a CSC copy (the row and the
 * row-order position of each entry, by column) so that the weight gradient gathers per column.
 */
final class GpuSparseTensor implements Tensor {

    final int rows;
    final int cols;
    final DeviceBuffer rowOffsets;
    final DeviceBuffer columns;
    final DeviceBuffer values;
    final DeviceBuffer columnOffsets;
    final DeviceBuffer columnRows;
    final DeviceBuffer columnEntries;

    GpuSparseTensor(int rows, int cols, DeviceBuffer rowOffsets, DeviceBuffer columns, DeviceBuffer values,
                    DeviceBuffer columnOffsets, DeviceBuffer columnRows, DeviceBuffer columnEntries) {
        this.rows = rows;
        this.cols = cols;
        this.rowOffsets = rowOffsets;
        this.columns = columns;
        this.values = values;
        this.columnOffsets = columnOffsets;
        this.columnRows = columnRows;
        this.columnEntries = columnEntries;
    }

    DeviceBuffer[] buffers() {
        return new DeviceBuffer[]{rowOffsets, columns, values, columnOffsets, columnRows, columnEntries};
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
    public boolean isSparse() {
        return true;
    }
}
