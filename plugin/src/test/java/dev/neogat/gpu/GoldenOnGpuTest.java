package dev.neogat.gpu;

import dev.neogat.nn.Backend;
import dev.neogat.nn.GoldenEdgeFeaturesTest;
import dev.neogat.nn.GoldenLayerTest;
import dev.neogat.nn.GoldenModelTest;
import org.junit.jupiter.api.Nested;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The golden PyG layer and model checks (float32 within 1e-5) run on the GPU backend: its kernels in the CPU
 * emulation, and on a real GPU where one is usable.
 */
class GoldenOnGpuTest {

    static Backend emulated() {
        assumeTrue(EmulatedCuda.unavailableBecause().isEmpty(),
                () -> "GPU emulator unavailable: " + EmulatedCuda.unavailableBecause().orElse(""));
        return new GpuBackend(EmulatedCuda.open());
    }

    static Backend device() {
        GpuProbe.Status status = GpuProbe.status();
        assumeTrue(status.usable(), () -> "No usable GPU: " + status.reason());
        return new GpuBackend(GpuProbe.device(status.firstUsable().ordinal()));
    }

    @Nested
    class EmulatedLayer extends GoldenLayerTest {
        @Override
        protected Backend newBackend() {
            return emulated();
        }
    }

    @Nested
    class EmulatedModel extends GoldenModelTest {
        @Override
        protected Backend newBackend() {
            return emulated();
        }
    }

    @Nested
    class EmulatedEdgeFeatures extends GoldenEdgeFeaturesTest {
        @Override
        protected Backend newBackend() {
            return emulated();
        }
    }

    @Nested
    class DeviceLayer extends GoldenLayerTest {
        @Override
        protected Backend newBackend() {
            return device();
        }
    }

    @Nested
    class DeviceEdgeFeatures extends GoldenEdgeFeaturesTest {
        @Override
        protected Backend newBackend() {
            return device();
        }
    }

    @Nested
    class DeviceModel extends GoldenModelTest {
        @Override
        protected Backend newBackend() {
            return device();
        }
    }
}
