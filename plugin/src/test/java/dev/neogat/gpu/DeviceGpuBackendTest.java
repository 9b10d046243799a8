package dev.neogat.gpu;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The GPU backend's parity with the CPU on a real GPU; skips where {@link GpuProbe} finds none usable. */
class DeviceGpuBackendTest extends GpuBackendParityTest {

    @Override
    protected CudaDriver openDriver() {
        GpuProbe.Status status = GpuProbe.status();
        assumeTrue(status.usable(), () -> "No usable GPU: " + status.reason());
        return GpuProbe.device(status.firstUsable().ordinal());
    }

    /** Total minus free: other processes on the GPU count too, so the machine should be otherwise idle. */
    @Override
    protected long deviceBytesInUse(CudaDriver driver) {
        return ((JCudaDevice) driver).totalMemory() - driver.freeMemory();
    }
}
