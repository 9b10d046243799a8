package dev.neogat.gpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@link CudaDriver} without a GPU: the kernels of src/main/cuda/gat_kernels.cu compiled as C++ against
 * src/test/cuda/cuda_emulation.h into a JNI library (by g++, once per test run) and run on the CPU, block
 * after block, each block's threads as fibers that meet at __syncthreads. Device memory is host memory,
 * filled with NaNs when allocated. It checks the kernels' arithmetic, indexing, masks and fixed-order
 * reductions, and the GPU backend's launches; not timing, races between blocks, or the PTX.
 */
final class EmulatedCuda implements CudaDriver {

    /** The plugin module: the working directory of its tests, or beside it for other modules' tests. */
    private static final Path PLUGIN = Files.exists(Paths.get("src/main/cuda/gat_kernels.cu")) ? Paths.get("")
            : Paths.get("../plugin");
    private static final Path KERNELS = PLUGIN.resolve("src/main/cuda/gat_kernels.cu");
    private static final Path EMULATION = PLUGIN.resolve("src/test/cuda");
    private static final Path BUILD = Paths.get("target/gpu-emulator");
    private static final Pattern KERNEL = Pattern.compile("extern \"C\" __global__ void (\\w+)\\(");

    private static String unavailable;
    private static String buildFailure;
    private static boolean loaded;

    private long allocated;

    /**
     * Why the emulator cannot run on this machine (no g++, no JNI headers), or empty. A build that fails
     * is not a reason to skip: {@link #open()} then throws with the compiler's output.
     */
    static synchronized Optional<String> unavailableBecause() {
        if (!loaded && unavailable == null && buildFailure == null) {
            try {
                Path library = build();
                if (library != null) {
                    System.load(library.toAbsolutePath().toString());
                    loaded = true;
                }
            } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
                buildFailure = e.getMessage();
            }
        }
        return Optional.ofNullable(unavailable);
    }

    static synchronized EmulatedCuda open() {
        unavailableBecause().ifPresent(why -> {
            throw new IllegalStateException("The GPU emulator is unavailable: " + why);
        });
        if (buildFailure != null) {
            throw new IllegalStateException("The GPU emulator did not build: " + buildFailure);
        }
        return new EmulatedCuda();
    }

    private static Path build() throws IOException {
        Path javaHome = Paths.get(System.getProperty("java.home"));
        Path include = javaHome.resolve("include");
        if (!Files.exists(include.resolve("jni.h"))) {
            unavailable = "no JNI headers under " + include + " (a JDK, not a JRE, is needed)";
            return null;
        }
        Files.createDirectories(BUILD);
        List<String> kernels = new ArrayList<>();
        Matcher matcher = KERNEL.matcher(Files.readString(KERNELS));
        while (matcher.find()) {
            kernels.add("KERNEL(" + matcher.group(1) + ")");
        }
        Files.writeString(BUILD.resolve("kernel_table.inc"), String.join("\n", kernels) + "\n");
        Path library = BUILD.resolve("libneogat-gpu-emulator.so");
        List<String> command = List.of("g++", "-std=c++17", "-O1", "-shared", "-fPIC", "-w",
                "-I" + include, "-I" + include.resolve(System.getProperty("os.name").toLowerCase(Locale.ROOT)
                        .contains("mac") ? "darwin" : "linux"),
                "-I" + EMULATION, "-I" + KERNELS.getParent(), "-I" + BUILD,
                EMULATION.resolve("emulator_bridge.cpp").toString(), "-o", library.toString());
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            unavailable = "g++ is not available (" + e.getMessage() + ")";
            return null;
        }
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
                throw new IOException("g++ failed to build the GPU emulator:\n" + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while building the GPU emulator", e);
        }
        return library;
    }

    @Override
    public String description() {
        return "gpu-emulator (kernels on the CPU)";
    }

    @Override
    public void makeCurrent() {
    }

    @Override
    public long freeMemory() {
        return Runtime.getRuntime().maxMemory();
    }

    /** Bytes allocated and not yet freed through this driver. */
    long allocatedBytes() {
        return allocated;
    }

    @Override
    public DeviceBuffer allocate(long bytes) {
        allocated += bytes;
        return new DeviceBuffer(allocate0(bytes), bytes);
    }

    @Override
    public void free(DeviceBuffer buffer) {
        if (!buffer.isFreed()) {
            long address = buffer.address();
            buffer.markFreed();
            allocated -= buffer.bytes();
            release(address);
        }
    }

    @Override
    public void copyToDevice(float[] source, int from, int count, DeviceBuffer target, long targetOffset) {
        target.requireRange(targetOffset, 4L * count);
        java.util.Objects.checkFromIndexSize(from, count, source.length);
        floatsToDevice(source, from, count, target.address() + targetOffset);
    }

    @Override
    public void copyToDevice(int[] source, int from, int count, DeviceBuffer target, long targetOffset) {
        target.requireRange(targetOffset, 4L * count);
        java.util.Objects.checkFromIndexSize(from, count, source.length);
        intsToDevice(source, from, count, target.address() + targetOffset);
    }

    @Override
    public void copyToHost(DeviceBuffer source, long sourceOffset, float[] target, int from, int count) {
        source.requireRange(sourceOffset, 4L * count);
        java.util.Objects.checkFromIndexSize(from, count, target.length);
        floatsToHost(source.address() + sourceOffset, target, from, count);
    }

    @Override
    public void copyToHost(DeviceBuffer source, long sourceOffset, int[] target, int from, int count) {
        source.requireRange(sourceOffset, 4L * count);
        java.util.Objects.checkFromIndexSize(from, count, target.length);
        intsToHost(source.address() + sourceOffset, target, from, count);
    }

    @Override
    public void copyToHost(DeviceBuffer source, long sourceOffset, double[] target, int from, int count) {
        source.requireRange(sourceOffset, 8L * count);
        java.util.Objects.checkFromIndexSize(from, count, target.length);
        doublesToHost(source.address() + sourceOffset, target, from, count);
    }

    @Override
    public void copyToHost(DeviceBuffer source, long sourceOffset, long[] target, int from, int count) {
        source.requireRange(sourceOffset, 8L * count);
        java.util.Objects.checkFromIndexSize(from, count, target.length);
        longsToHost(source.address() + sourceOffset, target, from, count);
    }

    @Override
    public void copyOnDevice(DeviceBuffer source, long sourceOffset, DeviceBuffer target, long targetOffset,
                             long bytes) {
        source.requireRange(sourceOffset, bytes);
        target.requireRange(targetOffset, bytes);
        copy(source.address() + sourceOffset, target.address() + targetOffset, bytes);
    }

    @Override
    public void fill32(DeviceBuffer buffer, long offset, int bits, long count) {
        buffer.requireRange(offset, 4 * count);
        fill32(buffer.address() + offset, bits, count);
    }

    @Override
    public void launch(String kernel, int gridX, int gridY, int blockX, int blockY, KernelArgs args) {
        long[] values = new long[args.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = args.bits(i);
        }
        synchronized (EmulatedCuda.class) {
            launch(kernel, gridX, gridY, blockX, blockY, values);
        }
    }

    @Override
    public void synchronize() {
    }

    @Override
    public void close() {
    }

    private static native long allocate0(long bytes);

    private static native void release(long address);

    private static native void floatsToDevice(float[] source, int from, int count, long address);

    private static native void intsToDevice(int[] source, int from, int count, long address);

    private static native void floatsToHost(long address, float[] target, int from, int count);

    private static native void intsToHost(long address, int[] target, int from, int count);

    private static native void doublesToHost(long address, double[] target, int from, int count);

    private static native void longsToHost(long address, long[] target, int from, int count);

    private static native void copy(long from, long to, long bytes);

    private static native void fill32(long address, int bits, long count);

    private static native void launch(String kernel, int gridX, int gridY, int blockX, int blockY, long[] arguments);
}
