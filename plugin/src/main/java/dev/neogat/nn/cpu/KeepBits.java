package dev.neogat.nn.cpu;

import dev.neogat.util.DropoutMask;
import dev.neogat.util.Parallel;

/**
 * A dropout mask materialised as one bit per element, so that the forward pass and both backward
 * passes of a step read bits instead of each re-hashing every element.
 */
final class KeepBits {

    final long key;
    final int length;
    final long[] words;
    final float scale;

    private KeepBits(long key, int length, long[] words, float scale) {
        this.key = key;
        this.length = length;
        this.words = words;
        this.scale = scale;
    }

    boolean get(int index) {
        return (words[index >>> 6] & (1L << index)) != 0;
    }

    /** scale for a kept element, 0 for a dropped one, without a branch (mask bits are unpredictable). */
    float factor(int index) {
        return (int) ((words[index >>> 6] >>> index) & 1L) * scale;
    }

    /** Evaluates {@code mask} for elements [0, length), reusing {@code storage} when it is large enough. */
    static KeepBits of(Parallel parallel, DropoutMask mask, int length, long[] storage) {
        int wordCount = (length + 63) >>> 6;
        long[] words = storage != null && storage.length >= wordCount ? storage : new long[wordCount];
        parallel.forRange(wordCount, 1 << 9, (start, end) -> {
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
        return new KeepBits(mask.key(), length, words, (float) mask.scale());
    }
}
