package dev.neogat.gpu;

import dev.neogat.device.DeviceChoice;
import dev.neogat.device.Devices;
import dev.neogat.spec.GatConfig;
import dev.neogat.model.MemoryEstimate;
import dev.neogat.util.TerminationFlag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Where jobs run and why: the probe's reasons, and the choice between GPU and CPU. */
class GpuProbeTest {

    private static final MemoryEstimate SMALL = MemoryEstimate.of(GatConfig.builder(10, 3).messageDropout(0)
            .normalizeFeatures(false).build(), 100, 500, 400,
            1000, false, true);

    @Test
    void reasonsForANativeLibraryThatDoesNotLoad() {
        assertThat(GpuProbe.nativeLoadFailure("... /tmp/libJCudaDriver-12.0.0-linux-x86_64.so: libcuda.so.1: cannot "
                + "open shared object file: No such file or directory"))
                .isEqualTo("no NVIDIA driver on this machine (libcuda.so.1 not found)");
        assertThat(GpuProbe.nativeLoadFailure("Error while loading native library \"JCudaDriver-12.0.0-apple-aarch64\"\n"
                + "Operating system name: Mac OS X"))
                .startsWith("JCuda's native library did not load on ")
                .contains("Error while loading native library \"JCudaDriver-12.0.0-apple-aarch64\"")
                .doesNotContain("Operating system name");
    }

    @Test
    void withoutAUsableGpuAutoRunsOnTheCpuAndSaysWhyWhileGpuIsAnError() {
        GpuProbe.Status status = GpuProbe.status();
        assumeFalse(status.usable(), "a GPU is usable here");
        assertThat(status.reason()).isNotBlank();
        try (DeviceChoice auto = (Devices.select("auto", 2, TerminationFlag.RUNNING, SMALL))) {
            assertThat(auto.device()).isEqualTo("cpu");
            assertThat(auto.reason()).isEqualTo("auto: no usable GPU (" + status.reason() + "); cpu (2 threads)");
        }
        assertThatThrownBy(() -> Devices.select("gpu", 2, TerminationFlag.RUNNING, SMALL))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("device 'gpu' was requested but no GPU is usable: " + status.reason()
                        + "; use device 'auto' or 'cpu'");
        try (DeviceChoice cpu = (Devices.select("CPU", 1, TerminationFlag.RUNNING, SMALL))) {
            assertThat(cpu.reason()).isEqualTo("cpu was requested; cpu (1 thread)");
        }
        assertThatThrownBy(() -> Devices.select("tpu", 2, TerminationFlag.RUNNING, SMALL))
                .hasMessage("device must be 'auto', 'cpu' or 'gpu', got 'tpu'");
    }

    @Test
    void onAGpuAutoPicksItUnlessTheJobDoesNotFit() {
        GpuProbe.Status status = GpuProbe.status();
        assumeTrue(status.usable(), () -> "No usable GPU: " + status.reason());
        try (DeviceChoice auto = (Devices.select("auto", 2, TerminationFlag.RUNNING, SMALL))) {
            assertThat(auto.device()).startsWith("gpu:");
            assertThat(auto.backend()).isInstanceOf(GpuBackend.class);
        }
        MemoryEstimate huge = MemoryEstimate.of(GatConfig.builder(1000, 40).hiddenHeads(64).hiddenChannels(256)
                .messageDropout(0).normalizeFeatures(false).build(),
                200_000_000L, 2_000_000_000L, 1_000_000_000L, 1000, false, true);
        try (DeviceChoice fallback = (Devices.select("auto", 2, TerminationFlag.RUNNING, huge))) {
            assertThat(fallback.device()).isEqualTo("cpu");
            assertThat(fallback.reason()).contains("free and the job needs about");
        }
        assertThatThrownBy(() -> Devices.select("gpu", 2, TerminationFlag.RUNNING, huge))
                .hasMessageContaining("device 'gpu' was requested but GPU ");
    }
}
