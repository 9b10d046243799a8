package dev.neogat.nn.cpu;

import dev.neogat.nn.SparseMatrix;
import dev.neogat.util.DropoutMask;
import dev.neogat.util.Parallel;

/**
 * A dropout mask materialised as one bit per element, so that the forward pass and both backward
 * passes of a step read bits instead of each re-hashing every element. Bits are indexed by element of a
 * dense tensor, or by entry (row-order position) of a sparse matrix, whose mask is still keyed by the
 * dense index {@code row·cols + col} so that sparse and dense storage drop the same values.
 */
final class KeepBits {

    final long key;
    /** The mask's row map (compared by identity: a gathered sub-tensor's bits differ from the whole's). */
    final int[] rowIds;
    final int length;
    final boolean overSparseEntries;
    final long[] words;
    final float scale;

    private KeepBits(long key, int[] rowIds, int length, boolean overSparseEntries, long[] words, float scale) {
        this.key = key;
        this.rowIds = rowIds;
        this.length = length;
        this.overSparseEntries = overSparseEntries;
        this.words = words;
        this.scale = scale;
    }

    /** 1 for a kept element, 0 for a dropped one. */
    int bit(int index) {
        return (int) ((words[index >>> 6] >>> index) & 1L);
    }

    /** scale for a kept element, 0 for a dropped one, without a branch (mask bits are unpredictable). */
    float factor(int index) {
        return bit(index) * scale;
    }

    /** Evaluates {@code mask} for elements [0, length). */
    static KeepBits overElements(Parallel parallel, DropoutMask mask, int length) {
        long[] words = new long[(length + 63) >>> 6];
        parallel.forRange(words.length, 1 << 9, (start, end) -> {
            for (int w = start; w < end; w++) {
                long bits = 0;
                int first = w << 6;
                int count = Math.min(64, length - first);
                for (int b = 0; b < count; b++) {
                    bits |= (long) mask.keepBit(first + b) << b;
                }
                words[w] = bits;
            }
        });
        return new KeepBits(mask.key(), mask.rowIds(), length, false, words, (float) mask.scale());
    }

    /** Evaluates {@code mask} for the entries of a sparse matrix, keyed by their dense index. */
    static KeepBits overEntries(Parallel parallel, DropoutMask mask, SparseMatrix matrix) {
        int length = matrix.columns().length;
        int cols = matrix.cols();
        int[] offsets = matrix.rowOffsets();
        int[] columns = matrix.columns();
        long[] words = new long[(length + 63) >>> 6];
        parallel.forRange(words.length, 1 << 9, (start, end) -> {
            int row = rowOf(offsets, start << 6);
            for (int w = start; w < end; w++) {
                long bits = 0;
                int first = w << 6;
                int count = Math.min(64, length - first);
                for (int b = 0; b < count; b++) {
                    int p = first + b;
                    while (offsets[row + 1] <= p) {
                        row++;
                    }
                    bits |= (long) mask.keepBit(row * cols + columns[p]) << b;
                }
                words[w] = bits;
            }
        });
        return new KeepBits(mask.key(), mask.rowIds(), length, true, words, (float) mask.scale());
    }

    /** The row holding entry p: the last row whose offset is at most p. */
    private static int rowOf(int[] offsets, int p) {
        int lo = 0;
        int hi = offsets.length - 2;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (offsets[mid] <= p) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }
}
