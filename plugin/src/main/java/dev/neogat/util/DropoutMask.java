package dev.neogat.util;

/**
 * Inverted dropout with probability {@code p}: element {@code i} is kept when the 24-bit uniform of
 * {@link CounterRng} for (key, i) is at least {@code p}, and kept elements are scaled by 1/(1-p).
 * The comparison is done on integers so that float32 and float64 code, CPU and GPU agree exactly.
 *
 * <p>A mask {@link #overRows over gathered rows} draws element (r, c) of a sub-tensor as element
 * (rowIds[r], c) of the whole one, so a sampled mini-batch drops exactly what the full graph would
 * (the CPU backend honours this; the GPU kernels draw by local index, still a deterministic dropout).
 */
public final class DropoutMask {

    private final long key;
    private final double probability;
    private final int threshold;
    private final int[] rowIds;
    private final int rowWidth;

    public DropoutMask(long key, double probability) {
        this(key, probability, null, 1);
    }

    private DropoutMask(long key, double probability, int[] rowIds, int rowWidth) {
        if (!(probability > 0 && probability < 1)) {
            throw new IllegalArgumentException(
                    "Dropout probability must be in (0, 1) for a mask, got " + probability);
        }
        this.key = key;
        this.probability = probability;
        this.threshold = (int) Math.ceil(probability * (1 << 24));
        if (rowWidth < 1) {
            throw new IllegalArgumentException("Row width must be at least 1, got " + rowWidth);
        }
        this.rowIds = rowIds;
        this.rowWidth = rowWidth;
    }

    /**
     * The mask of a tensor whose row r is row {@code rowIds[r]} of a whole tensor with rows of
     * {@code rowWidth} elements; null when p is 0. {@code rowIds} is held, not copied.
     */
    public static DropoutMask overRows(long key, double probability, int[] rowIds, int rowWidth) {
        return probability == 0 ? null : new DropoutMask(key, probability, rowIds, rowWidth);
    }

    /** The mask for probability p, or null when p is 0 (no dropout). */
    public static DropoutMask of(long key, double probability) {
        return probability == 0 ? null : new DropoutMask(key, probability);
    }

    public boolean keep(int index) {
        return (CounterRng.bits(key, wholeIndex(index)) >>> 8) >= threshold;
    }

    /** 1 when element {@code index} is kept, else 0, computed without a branch. */
    public int keepBit(int index) {
        return (threshold - 1 - (CounterRng.bits(key, wholeIndex(index)) >>> 8)) >>> 31;
    }

    /** The element's index in the whole tensor (int arithmetic wraps as the whole tensor's own index does). */
    private int wholeIndex(int index) {
        return rowIds == null ? index : rowIds[index / rowWidth] * rowWidth + index % rowWidth;
    }

    /** The rows this mask maps to the whole tensor, or null when it covers the whole tensor itself. */
    public int[] rowIds() {
        return rowIds;
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
