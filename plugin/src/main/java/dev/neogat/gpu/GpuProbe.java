package dev.neogat.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Finds out, once per process, whether a GPU can run the kernels: JCuda's native binding loads (it needs
 * the NVIDIA driver's libcuda.so.1), CUDA initialises, a device has compute capability 7.5 or newer, and
 * the shipped PTX loads on it. Every "no" comes with the reason, for gat.train's output and gat.devices().
 * The system property {@code neogat.gpu.disabled=true} turns the GPU off.
 */
public final class GpuProbe {

    /** The PTX of src/main/cuda/gat_kernels.cu, compiled by compile-ptx.sh. */
    static final String PTX_RESOURCE = "/dev/neogat/gpu/gat_kernels.ptx";
    public static final int MINIMUM_MAJOR = 7;
    public static final int MINIMUM_MINOR = 5;

    /** A device, whether the kernels can run on it, and if not why. */
    public record GpuInfo(int ordinal, String name, long totalMemory, int major, int minor, boolean usable,
                          String reason) {

        GpuInfo unusable(String why) {
            return new GpuInfo(ordinal, name, totalMemory, major, minor, false, why);
        }

        public String computeCapability() {
            return major + "." + minor;
        }
    }

    /** The outcome: the devices found (possibly none) and, when none is usable, why. */
    public record Status(List<GpuInfo> devices, String reason) {

        public boolean usable() {
            return devices.stream().anyMatch(GpuInfo::usable);
        }

        public GpuInfo firstUsable() {
            return devices.stream().filter(GpuInfo::usable).findFirst()
                    .orElseThrow(() -> new IllegalStateException("No usable GPU: " + reason));
        }
    }

    private static Status status;
    private static CudaDriver[] opened = new CudaDriver[0];

    private GpuProbe() {
    }

    public static synchronized Status status() {
        if (status == null) {
            status = probe();
        }
        return status;
    }

    /** The opened device {@code ordinal}, which {@link #status()} reported usable. */
    public static synchronized CudaDriver device(int ordinal) {
        Status current = status();
        if (ordinal >= opened.length || opened[ordinal] == null) {
            throw new IllegalStateException("GPU " + ordinal + " is not usable: " + current.reason());
        }
        return opened[ordinal];
    }

    /**
     * Puts {@code driver} in place of what the probe found, as the only GPU, until the returned handle closes: tests
     * run the procedures' GPU path on the kernel emulation with it, on machines without a GPU.
     */
    static synchronized Substitution substitute(GpuInfo info, CudaDriver driver) {
        Status before = status();
        CudaDriver[] openedBefore = opened;
        status = new Status(List.of(info), "");
        opened = new CudaDriver[]{driver};
        return () -> {
            synchronized (GpuProbe.class) {
                status = before;
                opened = openedBefore;
            }
        };
    }

    /** Undoes a {@link #substitute}. */
    interface Substitution extends AutoCloseable {
        @Override
        void close();
    }

    private static Status probe() {
        if (Boolean.getBoolean("neogat.gpu.disabled")) {
            return new Status(List.of(), "the GPU is disabled by the system property neogat.gpu.disabled");
        }
        String ptx;
        try {
            ptx = kernelsPtx();
        } catch (IOException | RuntimeException e) {
            return new Status(List.of(), "the kernels' PTX is missing from the plugin (" + e.getMessage() + ")");
        }
        int count;
        try {
            JCudaDevice.enableExceptions();
            jcuda.driver.JCudaDriver.cuInit(0);
            int[] devices = new int[1];
            jcuda.driver.JCudaDriver.cuDeviceGetCount(devices);
            count = devices[0];
        } catch (NoClassDefFoundError e) {
            return new Status(List.of(), "JCuda is not available (" + firstLine(e.getMessage()) + ")");
        } catch (UnsatisfiedLinkError e) {
            return new Status(List.of(), nativeLoadFailure(e.getMessage()));
        } catch (RuntimeException e) {
            return new Status(List.of(), "CUDA could not be initialised (" + firstLine(e.getMessage()) + ")");
        }
        if (count == 0) {
            return new Status(List.of(), "CUDA found no GPU");
        }
        List<GpuInfo> devices = new ArrayList<>();
        CudaDriver[] drivers = new CudaDriver[count];
        for (int ordinal = 0; ordinal < count; ordinal++) {
            GpuInfo info;
            try {
                info = JCudaDevice.describe(ordinal);
            } catch (RuntimeException e) {
                devices.add(new GpuInfo(ordinal, "?", 0, 0, 0, false,
                        "could not be queried (" + firstLine(e.getMessage()) + ")"));
                continue;
            }
            if (info.major() < MINIMUM_MAJOR || (info.major() == MINIMUM_MAJOR && info.minor() < MINIMUM_MINOR)) {
                devices.add(info.unusable("compute capability " + info.computeCapability() + " is below the "
                        + MINIMUM_MAJOR + "." + MINIMUM_MINOR + " the kernels are built for"));
                continue;
            }
            try {
                drivers[ordinal] = JCudaDevice.open(info, ptx);
                devices.add(info);
            } catch (RuntimeException e) {
                devices.add(info.unusable("the kernels did not load (" + firstLine(e.getMessage())
                        + "; the PTX needs a driver for CUDA 12.0 or newer)"));
            }
        }
        opened = drivers;
        String reason = devices.stream().filter(d -> !d.usable())
                .map(d -> "GPU " + d.ordinal() + " " + d.name() + ": " + d.reason())
                .reduce((a, b) -> a + "; " + b).orElse("");
        return new Status(List.copyOf(devices), reason);
    }

    /** Why JCuda's native library did not load, in a user's words. */
    static String nativeLoadFailure(String message) {
        String text = message == null ? "" : message;
        if (text.contains("libcuda.so")) {
            return "no NVIDIA driver on this machine (libcuda.so.1 not found)";
        }
        if (text.contains("nvcuda.dll")) {
            return "no NVIDIA driver on this machine (nvcuda.dll not found)";
        }
        return String.format(Locale.ROOT, "JCuda's native library did not load on %s-%s (%s)",
                System.getProperty("os.name"), System.getProperty("os.arch"), firstLine(text));
    }

    static String kernelsPtx() throws IOException {
        try (InputStream in = GpuProbe.class.getResourceAsStream(PTX_RESOURCE)) {
            if (in == null) {
                throw new IOException(PTX_RESOURCE + " not found");
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "no message";
        }
        int newline = text.indexOf('\n');
        return (newline < 0 ? text : text.substring(0, newline)).trim();
    }
}
