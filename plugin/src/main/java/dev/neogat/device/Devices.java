package dev.neogat.device;

import dev.neogat.gpu.GpuBackend;
import dev.neogat.gpu.GpuProbe;
import dev.neogat.model.MemoryEstimate;
import dev.neogat.nn.cpu.CpuBackend;
import dev.neogat.util.TerminationFlag;

import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;

/**
 * Chooses where a job runs: {@code cpu}, {@code gpu} (an error when no GPU is usable or none has the
 * memory the job needs) or {@code auto} (a usable GPU with enough free memory, else the CPU), always
 * saying why.
 */
public final class Devices {

    private Devices() {
    }

    public static DeviceChoice select(String requested, int concurrency, TerminationFlag terminationFlag,
                                      MemoryEstimate need) {
        String device = requested == null ? "auto" : requested.toLowerCase(Locale.ROOT);
        switch (device) {
            case "cpu":
                return cpu(concurrency, terminationFlag, "cpu was requested");
            case "gpu": {
                GpuProbe.Status status = GpuProbe.status();
                if (!status.usable()) {
                    throw new IllegalArgumentException("device 'gpu' was requested but no GPU is usable: "
                            + status.reason() + "; use device 'auto' or 'cpu'");
                }
                Fit fit = bestFit(status, need.deviceBytes());
                if (!fit.fits()) {
                    throw new IllegalArgumentException("device 'gpu' was requested but " + fit.shortage()
                            + "; use device 'auto' or 'cpu', or a smaller model");
                }
                return gpu(fit, "gpu was requested");
            }
            case "auto": {
                GpuProbe.Status status = GpuProbe.status();
                if (!status.usable()) {
                    return cpu(concurrency, terminationFlag, "auto: no usable GPU (" + status.reason() + ")");
                }
                Fit fit = bestFit(status, need.deviceBytes());
                if (!fit.fits()) {
                    return cpu(concurrency, terminationFlag, "auto: " + fit.shortage());
                }
                return gpu(fit, "auto: a usable GPU with enough free memory");
            }
            default:
                throw new IllegalArgumentException("device must be 'auto', 'cpu' or 'gpu', got '" + requested + "'");
        }
    }

    /** The usable GPU with the most free memory, and whether the job fits into it. */
    private record Fit(GpuProbe.GpuInfo gpu, long free, long needed) {

        boolean fits() {
            return needed <= free;
        }

        String shortage() {
            return String.format(Locale.ROOT, "GPU %d (%s) has %s free and the job needs about %s", gpu.ordinal(),
                    gpu.name(), gib(free), gib(needed));
        }
    }

    private static Fit bestFit(GpuProbe.Status status, long needed) {
        Optional<Fit> best = status.devices().stream().filter(GpuProbe.GpuInfo::usable)
                .map(gpu -> new Fit(gpu, GpuProbe.device(gpu.ordinal()).freeMemory(), needed))
                .max(Comparator.comparingLong(Fit::free));
        return best.orElseThrow(() -> new IllegalStateException("No usable GPU: " + status.reason()));
    }

    private static DeviceChoice gpu(Fit fit, String why) {
        GpuBackend backend = new GpuBackend(GpuProbe.device(fit.gpu().ordinal()));
        return new DeviceChoice(backend, "gpu:" + fit.gpu().ordinal(), String.format(Locale.ROOT,
                "%s; %s, %s free, the job needs about %s", why, backend.description(), gib(fit.free()),
                gib(fit.needed())));
    }

    private static DeviceChoice cpu(int concurrency, TerminationFlag terminationFlag, String why) {
        CpuBackend backend = new CpuBackend(concurrency, terminationFlag);
        return new DeviceChoice(backend, "cpu", why + "; " + backend.description());
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }
}
