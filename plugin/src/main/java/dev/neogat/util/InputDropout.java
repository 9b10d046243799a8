package dev.neogat.util;

/**
 * Dropout on the input of a projection {@code out = dropout(x) · W}: one mask for all output columns
 * (PyG: every head sees the same dropped input), or one mask per equal group of output columns (the
 * reference GAT implementation: each head drops its input independently).
 */
public final class InputDropout {

    private final DropoutMask[] groups;

    private InputDropout(DropoutMask[] groups) {
        this.groups = groups;
    }

    /** The same mask for every output column; null for no mask. */
    public static InputDropout shared(DropoutMask mask) {
        return mask == null ? null : new InputDropout(new DropoutMask[]{mask});
    }

    /** Output column j of m uses {@code masks[j / (m / masks.length)]}. */
    public static InputDropout perGroup(DropoutMask... masks) {
        if (masks.length == 0) {
            throw new IllegalArgumentException("At least one mask is needed");
        }
        return new InputDropout(masks.clone());
    }

    public int groupCount() {
        return groups.length;
    }

    public DropoutMask group(int g) {
        return groups[g];
    }

    /** Checks that {@code outputColumns} splits evenly into the groups; returns the group width. */
    public int groupWidth(int outputColumns) {
        if (outputColumns % groups.length != 0) {
            throw new IllegalArgumentException(outputColumns + " output columns do not split into " + groups.length
                    + " dropout groups");
        }
        return outputColumns / groups.length;
    }
}
