package dev.neogat.gpu;

import java.util.ArrayList;
import java.util.List;

/**
 * The arguments of one kernel launch in the kernel's parameter order: device pointers (an address, or 0
 * for null), 32-bit ints and floats, 64-bit integers. Drivers turn them into their launch format.
 */
public final class KernelArgs {

    /** The C type of an argument. */
    public enum Kind { POINTER, INT, FLOAT, LONG }

    private final List<Kind> kinds = new ArrayList<>();
    private final List<Long> bits = new ArrayList<>();

    public KernelArgs pointer(DeviceBuffer buffer) {
        return pointer(buffer, 0);
    }

    /** A pointer {@code byteOffset} bytes into the buffer; a null buffer passes a null pointer. */
    public KernelArgs pointer(DeviceBuffer buffer, long byteOffset) {
        if (buffer != null) {
            buffer.requireRange(byteOffset, 0);
        }
        return add(Kind.POINTER, buffer == null ? 0L : buffer.address() + byteOffset);
    }

    public KernelArgs i32(int value) {
        return add(Kind.INT, value);
    }

    public KernelArgs f32(float value) {
        return add(Kind.FLOAT, Float.floatToRawIntBits(value));
    }

    public KernelArgs u64(long value) {
        return add(Kind.LONG, value);
    }

    private KernelArgs add(Kind kind, long value) {
        kinds.add(kind);
        bits.add(value);
        return this;
    }

    public int size() {
        return kinds.size();
    }

    public Kind kind(int index) {
        return kinds.get(index);
    }

    /** The argument's value: an address, a sign-extended int, a float's raw bits, or a long. */
    public long bits(int index) {
        return bits.get(index);
    }
}
