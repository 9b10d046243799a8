package dev.neogat.gpu;

/**
 * The part of the CUDA driver API the GPU backend uses, on one device and context: memory, copies, and
 * launches of the kernels of one loaded module. {@link JCudaDriver} talks to a real GPU; the tests add a
 * CPU emulation of the same kernels. All calls run in order on one stream; copies to the host wait for
 * the kernels before them.
 */
public interface CudaDriver extends AutoCloseable {

    /** What this driver runs on, e.g. "NVIDIA H100 80GB HBM3 (compute 9.0, 79.1 GiB)". */
    String description();

    /** Makes this driver's context current on the calling thread. */
    void makeCurrent();

    /** Device memory now free, in bytes. */
    long freeMemory();

    DeviceBuffer allocate(long bytes);

    /** Frees a buffer; freeing it again does nothing. */
    void free(DeviceBuffer buffer);

    void copyToDevice(float[] source, int from, int count, DeviceBuffer target, long targetOffset);

    void copyToDevice(int[] source, int from, int count, DeviceBuffer target, long targetOffset);

    void copyToHost(DeviceBuffer source, long sourceOffset, float[] target, int from, int count);

    void copyToHost(DeviceBuffer source, long sourceOffset, int[] target, int from, int count);

    void copyToHost(DeviceBuffer source, long sourceOffset, double[] target, int from, int count);

    void copyToHost(DeviceBuffer source, long sourceOffset, long[] target, int from, int count);

    void copyOnDevice(DeviceBuffer source, long sourceOffset, DeviceBuffer target, long targetOffset, long bytes);

    /** Sets {@code count} 32-bit words from {@code offset} to {@code bits}. */
    void fill32(DeviceBuffer buffer, long offset, int bits, long count);

    /** Launches a kernel of the loaded module on a (gridX, gridY) grid of (blockX, blockY) blocks. */
    void launch(String kernel, int gridX, int gridY, int blockX, int blockY, KernelArgs args);

    /** Waits until every launched kernel has finished; reports a kernel's failure. */
    void synchronize();

    @Override
    void close();
}
