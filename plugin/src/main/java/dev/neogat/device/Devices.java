package dev.neogat.device;

import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.util.TerminationFlag;

import java.util.Locale;

/**
 * Chooses where a job runs: {@code cpu}, {@code gpu} (an error when no GPU is usable) or {@code auto}
 * (a usable GPU, else the CPU), always saying why.
 */
public final class Devices {

    /** Why no GPU can be used by this build. */
    public static final String NO_GPU_REASON = "this build of the plugin has no GPU backend";

    private Devices() {
    }

    public static DeviceChoice select(String requested, int concurrency, TerminationFlag terminationFlag) {
        String device = requested == null ? "auto" : requested.toLowerCase(Locale.ROOT);
        switch (device) {
            case "cpu":
                return cpu(concurrency, terminationFlag, "cpu was requested");
            case "gpu":
                throw new IllegalArgumentException("device 'gpu' was requested but no GPU is usable: " + NO_GPU_REASON
                        + "; use device 'auto' or 'cpu'");
            case "auto":
                return cpu(concurrency, terminationFlag, "auto: no usable GPU (" + NO_GPU_REASON + ")");
            default:
                throw new IllegalArgumentException("device must be 'auto', 'cpu' or 'gpu', got '" + requested + "'");
        }
    }

    private static DeviceChoice cpu(int concurrency, TerminationFlag terminationFlag, String why) {
        CpuBackend backend = new CpuBackend(concurrency, terminationFlag);
        return new DeviceChoice(backend, "cpu", why + "; " + backend.description());
    }
}
