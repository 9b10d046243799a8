package dev.neogat.gpu;

import java.util.Optional;

/**
 * The kernel emulation ({@link EmulatedCuda}) as the machine's only GPU, for tests outside this package that run
 * the device choice and the GPU backend end to end (gat.train with device 'gpu' from Cypher) without a GPU.
 */
public final class EmulatedGpu {

    private EmulatedGpu() {
    }

    /** Why the emulation cannot run here (no g++, no JNI headers), or empty. */
    public static Optional<String> unavailableBecause() {
        return EmulatedCuda.unavailableBecause();
    }

    /** Makes the emulation GPU 0 until the handle closes; the probe's own finding comes back then. */
    public static AutoCloseable install() {
        EmulatedCuda driver = EmulatedCuda.open();
        GpuProbe.GpuInfo info = new GpuProbe.GpuInfo(0, driver.description(), Runtime.getRuntime().maxMemory(),
                GpuProbe.MINIMUM_MAJOR, GpuProbe.MINIMUM_MINOR, true, "");
        GpuProbe.Substitution substitution = GpuProbe.substitute(info, driver);
        return () -> {
            substitution.close();
            driver.close();
        };
    }
}
