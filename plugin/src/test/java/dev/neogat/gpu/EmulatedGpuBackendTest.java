package dev.neogat.gpu;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The GPU backend's parity with the CPU, its kernels run by the CPU emulation (no GPU needed). */
class EmulatedGpuBackendTest extends GpuBackendParityTest {

    @Override
    protected CudaDriver openDriver() {
        assumeTrue(EmulatedCuda.unavailableBecause().isEmpty(),
                () -> "GPU emulator unavailable: " + EmulatedCuda.unavailableBecause().orElse(""));
        return EmulatedCuda.open();
    }

    @Override
    protected long deviceBytesInUse(CudaDriver driver) {
        return ((EmulatedCuda) driver).allocatedBytes();
    }
}
