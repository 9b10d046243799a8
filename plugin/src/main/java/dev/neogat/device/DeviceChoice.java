package dev.neogat.device;

import dev.neogat.nn.Backend;

/** The backend a job runs on, a short name for it ("cpu", "gpu:0") and why it was chosen. */
public record DeviceChoice(Backend backend, String device, String reason) implements AutoCloseable {

    /** Closes the backend (frees its device memory, stops its threads). */
    @Override
    public void close() {
        backend.close();
    }
}
