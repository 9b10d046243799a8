package dev.neogat.nn;

import dev.neogat.util.CounterRng;
import dev.neogat.util.DropoutMask;

/** Draws the training-mode dropout masks of both networks, keyed by (seed, step, layer, purpose). */
final class DropoutMasks {

    private DropoutMasks() {
    }

    /**
     * Null when not training or {@code probability} is 0. {@code wholeRows}: the whole tensor's row of each
     * row (null: this tensor is whole), rows of {@code rowWidth}.
     */
    static DropoutMask draw(boolean training, double probability, long seed, long step, int layer, long purpose,
                            int[] wholeRows, int rowWidth) {
        if (!training || probability == 0) {
            return null;
        }
        long key = CounterRng.streamKey(seed, step, layer, purpose);
        return wholeRows == null ? new DropoutMask(key, probability)
                : DropoutMask.overRows(key, probability, wholeRows, rowWidth);
    }
}
