package dev.neogat.util;

/**
 * Inverted dropout with probability {@code p}: element {@code i} is kept when the 24-bit uniform of
 * {@link CounterRng} for (key, i) is at least {@code p}, and kept elements are scaled by 1/(1-p).
 * The comparison is done on integers so that float32 and float64 code, CPU and GPU agree exactly.
 */
public final class DropoutMask {

    private final long key;
    private final double probability;
    private final int threshold;

    public DropoutMask(long key, double probability) {
        if (!(probability > 0 && probability < 1)) {
            throw new IllegalArgumentException(
                    "Dropout probability must be in (0, 1) for a mask, got " + probability);
        }
        this.key = key;
        this.probability = probability;
        this.threshold = (int) Math.ceil(probability * (1 << 24));
    }

    /** The mask for probability p, or null when p is 0 (no dropout). */
    public static DropoutMask of(long key, double probability) {
        return probability == 0 ? null : new DropoutMask(key, probability);
    }

    public boolean keep(int index) {
        return (CounterRng.bits(key, index) >>> 8) >= threshold;
    }

    /** 1 when element {@code index} is kept, else 0, computed without a branch. */
    public int keepBit(int index) {
        return (threshold - 1 - (CounterRng.bits(key, index) >>> 8)) >>> 31;
    }

    /** 1 / (1 - p), the factor applied to kept elements. */
    public double scale() {
        return 1.0 / (1.0 - probability);
    }

    public double probability() {
        return probability;
    }

    public long key() {
        return key;
    }

    /** The integer threshold on the top 24 bits; the GPU kernels receive it as is. */
    public int threshold() {
        return threshold;
    }
}
