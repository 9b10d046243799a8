package dev.neogat.nn.cpu;

import dev.neogat.util.DropoutMask;
import dev.neogat.util.Parallel;

import java.util.ArrayDeque;

/**
 * The last few materialised dropout masks, by stream key. A training step uses each mask in its forward
 * and again in its backward pass; the next step's masks reuse the storage of the evicted ones.
 */
final class MaskCache {

    private static final int CAPACITY = 16;

    private final ArrayDeque<KeepBits> entries = new ArrayDeque<>();

    synchronized KeepBits bits(Parallel parallel, DropoutMask mask, int length) {
        if (mask == null) {
            return null;
        }
        for (KeepBits entry : entries) {
            if (entry.key == mask.key() && entry.length == length) {
                return entry;
            }
        }
        long[] storage = null;
        if (entries.size() >= CAPACITY) {
            storage = entries.removeLast().words;
        }
        KeepBits bits = KeepBits.of(parallel, mask, length, storage);
        entries.addFirst(bits);
        return bits;
    }

    /** Drops every mask and its storage. */
    synchronized void clear() {
        entries.clear();
    }
}
