package dev.neogat.gpu;

import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoD;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemsetD32;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;

/**
 * One GPU through JCuda's driver API binding: its primary context and the kernel module loaded from PTX.
 * Opened once per process and device by {@link GpuProbe}; every {@link GpuBackend} on the device shares
 * it and frees its own buffers. JCuda reports CUDA errors as exceptions (enabled by the probe).
 */
final class JCudaDevice implements CudaDriver {

    private final int ordinal;
    private final String name;
    private final long totalMemory;
    private final int major;
    private final int minor;
    private final CUcontext context = new CUcontext();
    private final CUmodule module = new CUmodule();
    private final Map<String, CUfunction> functions = new ConcurrentHashMap<>();
    private final Map<Long, AddressablePointer> pointers = new ConcurrentHashMap<>();

    private JCudaDevice(int ordinal, String name, long totalMemory, int major, int minor) {
        this.ordinal = ordinal;
        this.name = name;
        this.totalMemory = totalMemory;
        this.major = major;
        this.minor = minor;
    }

    /** A device pointer whose address can be read (JCuda keeps it in a protected field). */
    private static final class AddressablePointer extends CUdeviceptr {
        long address() {
            return getNativePointer();
        }
    }

    /** Device facts read without creating a context. */
    static GpuProbe.GpuInfo describe(int ordinal) {
        CUdevice device = new CUdevice();
        cuDeviceGet(device, ordinal);
        byte[] nameBytes = new byte[256];
        cuDeviceGetName(nameBytes, nameBytes.length, device);
        int length = 0;
        while (length < nameBytes.length && nameBytes[length] != 0) {
            length++;
        }
        long[] memory = new long[1];
        cuDeviceTotalMem(memory, device);
        int[] major = new int[1];
        int[] minor = new int[1];
        cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
        cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
        return new GpuProbe.GpuInfo(ordinal, new String(nameBytes, 0, length).trim(), memory[0], major[0], minor[0],
                true, "");
    }

    /** Retains the device's primary context and loads the kernels; throws when either fails. */
    static JCudaDevice open(GpuProbe.GpuInfo info, String ptx) {
        JCudaDevice opened = new JCudaDevice(info.ordinal(), info.name(), info.totalMemory(), info.major(),
                info.minor());
        CUdevice device = new CUdevice();
        cuDeviceGet(device, info.ordinal());
        cuDevicePrimaryCtxRetain(opened.context, device);
        cuCtxSetCurrent(opened.context);
        cuModuleLoadData(opened.module, ptx);
        return opened;
    }

    @Override
    public String description() {
        return String.format(Locale.ROOT, "gpu:%d %s (compute %d.%d, %.1f GiB)", ordinal, name, major, minor,
                totalMemory / (double) (1L << 30));
    }

    long totalMemory() {
        return totalMemory;
    }

    @Override
    public void makeCurrent() {
        cuCtxSetCurrent(context);
    }

    @Override
    public long freeMemory() {
        long[] free = new long[1];
        long[] total = new long[1];
        cuMemGetInfo(free, total);
        return free[0];
    }

    @Override
    public DeviceBuffer allocate(long bytes) {
        AddressablePointer pointer = new AddressablePointer();
        try {
            cuMemAlloc(pointer, Math.max(bytes, 4));
        } catch (jcuda.CudaException e) {
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "Could not allocate %,d bytes on %s (%,d bytes free): %s", bytes, description(), freeMemory(),
                    e.getMessage()), e);
        }
        pointers.put(pointer.address(), pointer);
        return new DeviceBuffer(pointer.address(), bytes);
    }

    @Override
    public void free(DeviceBuffer buffer) {
        if (buffer.isFreed()) {
            return;
        }
        AddressablePointer pointer = pointers.remove(buffer.address());
        buffer.markFreed();
        if (pointer != null) {
            cuMemFree(pointer);
        }
    }

    private CUdeviceptr at(DeviceBuffer buffer, long offset, long length) {
        buffer.requireRange(offset, length);
        AddressablePointer pointer = pointers.get(buffer.address());
        if (pointer == null) {
            throw new IllegalArgumentException(buffer + " was not allocated on " + description());
        }
        return offset == 0 ? pointer : pointer.withByteOffset(offset);
    }

    @Override
    public void copyToDevice(float[] source, int from, int count, DeviceBuffer target, long targetOffset) {
        cuMemcpyHtoD(at(target, targetOffset, 4L * count), Pointer.to(source).withByteOffset(4L * from), 4L * count);
    }

    @Override
    public void copyToDevice(int[] source, int from, int count, DeviceBuffer target, long targetOffset) {
        cuMemcpyHtoD(at(target, targetOffset, 4L * count), Pointer.to(source).withByteOffset(4L * from), 4L * count);
    }

    @Override
    public void copyToHost(DeviceBuffer source, long sourceOffset, float[] target, int from, int count) {
        cuMemcpyDtoH(Pointer.to(target).withByteOffset(4L * from), at(source, sourceOffset, 4L * count), 4L * count);
    }

    @Override
    public void copyToHost(DeviceBuffer source, long sourceOffset, int[] target, int from, int count) {
        cuMemcpyDtoH(Pointer.to(target).withByteOffset(4L * from), at(source, sourceOffset, 4L * count), 4L * count);
    }

    @Override
    public void copyToHost(DeviceBuffer source, long sourceOffset, double[] target, int from, int count) {
        cuMemcpyDtoH(Pointer.to(target).withByteOffset(8L * from), at(source, sourceOffset, 8L * count), 8L * count);
    }

    @Override
    public void copyToHost(DeviceBuffer source, long sourceOffset, long[] target, int from, int count) {
        cuMemcpyDtoH(Pointer.to(target).withByteOffset(8L * from), at(source, sourceOffset, 8L * count), 8L * count);
    }

    @Override
    public void copyOnDevice(DeviceBuffer source, long sourceOffset, DeviceBuffer target, long targetOffset,
                             long bytes) {
        cuMemcpyDtoD(at(target, targetOffset, bytes), at(source, sourceOffset, bytes), bytes);
    }

    @Override
    public void fill32(DeviceBuffer buffer, long offset, int bits, long count) {
        cuMemsetD32(at(buffer, offset, 4 * count), bits, count);
    }

    @Override
    public void launch(String kernel, int gridX, int gridY, int blockX, int blockY, KernelArgs args) {
        CUfunction function = functions.computeIfAbsent(kernel, k -> {
            CUfunction f = new CUfunction();
            cuModuleGetFunction(f, module, k);
            return f;
        });
        Pointer[] values = new Pointer[args.size()];
        for (int i = 0; i < values.length; i++) {
            long bits = args.bits(i);
            values[i] = switch (args.kind(i)) {
                case POINTER, LONG -> Pointer.to(new long[]{bits});
                case INT, FLOAT -> Pointer.to(new int[]{(int) bits});
            };
        }
        cuLaunchKernel(function, gridX, gridY, 1, blockX, blockY, 1, 0, null, Pointer.to(values), null);
    }

    @Override
    public void synchronize() {
        cuCtxSynchronize();
    }

    /** The device stays open for the process: other backends share its context and module. */
    @Override
    public void close() {
    }

    static void enableExceptions() {
        JCudaDriver.setExceptionsEnabled(true);
    }
}
