package dev.neogat.gpu;

/** A block of device memory: its address (as kernels see it) and size. Freed by its driver. */
public final class DeviceBuffer {

    private final long address;
    private final long bytes;
    private boolean freed;

    DeviceBuffer(long address, long bytes) {
        this.address = address;
        this.bytes = bytes;
    }

    public long address() {
        requireLive();
        return address;
    }

    public long bytes() {
        return bytes;
    }

    boolean isFreed() {
        return freed;
    }

    void markFreed() {
        freed = true;
    }

    void requireLive() {
        if (freed) {
            throw new IllegalStateException("Device buffer of " + bytes + " bytes used after it was freed");
        }
    }

    /** Checks that [offset, offset + length) lies inside the buffer. */
    void requireRange(long offset, long length) {
        requireLive();
        if (offset < 0 || length < 0 || offset + length > bytes) {
            throw new IndexOutOfBoundsException("Bytes [" + offset + ", " + (offset + length)
                    + ") outside a device buffer of " + bytes + " bytes");
        }
    }

    @Override
    public String toString() {
        return "DeviceBuffer[" + bytes + " bytes" + (freed ? ", freed]" : "]");
    }
}
