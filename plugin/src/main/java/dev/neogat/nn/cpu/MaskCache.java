package dev.neogat.nn.cpu;

import dev.neogat.nn.SparseMatrix;
import dev.neogat.util.DropoutMask;
import dev.neogat.util.InputDropout;
import dev.neogat.util.Parallel;

import java.util.ArrayDeque;

/**
 * The last few materialised dropout masks, by stream key: a training step uses each mask in its forward
 * and again in its backward pass. An evicted mask is only forgotten (a caller may still hold it) and is
 * generated again if asked for, so correctness never depends on the capacity.
 */
final class MaskCache {

    /** The typed memory estimate counts this many masks kept (MemoryEstimate.CPU_MASKS_KEPT, checked by a test). */
    private static final int CAPACITY = 64;

    private final ArrayDeque<KeepBits> entries = new ArrayDeque<>();

    /** Bits over the elements [0, length) of a dense tensor; null for no mask. */
    synchronized KeepBits overElements(Parallel parallel, DropoutMask mask, int length) {
        if (mask == null) {
            return null;
        }
        KeepBits cached = find(mask, length, false);
        return cached != null ? cached : remember(KeepBits.overElements(parallel, mask, length));
    }

    /** Bits over the entries of a sparse matrix; null for no mask. */
    synchronized KeepBits overEntries(Parallel parallel, DropoutMask mask, SparseMatrix matrix) {
        if (mask == null) {
            return null;
        }
        KeepBits cached = find(mask, matrix.columns().length, true);
        return cached != null ? cached : remember(KeepBits.overEntries(parallel, mask, matrix));
    }

    /** One bit set per group of an input dropout over a dense tensor; null for no dropout. */
    KeepBits[] overElements(Parallel parallel, InputDropout dropout, int length) {
        if (dropout == null) {
            return null;
        }
        KeepBits[] bits = new KeepBits[dropout.groupCount()];
        for (int g = 0; g < bits.length; g++) {
            bits[g] = overElements(parallel, dropout.group(g), length);
        }
        return bits;
    }

    /** One bit set per group of an input dropout over a sparse matrix's entries; null for no dropout. */
    KeepBits[] overEntries(Parallel parallel, InputDropout dropout, SparseMatrix matrix) {
        if (dropout == null) {
            return null;
        }
        KeepBits[] bits = new KeepBits[dropout.groupCount()];
        for (int g = 0; g < bits.length; g++) {
            bits[g] = overEntries(parallel, dropout.group(g), matrix);
        }
        return bits;
    }

    private KeepBits find(DropoutMask mask, int length, boolean overSparseEntries) {
        for (KeepBits entry : entries) {
            if (entry.key == mask.key() && entry.rowIds == mask.rowIds() && entry.length == length
                    && entry.overSparseEntries == overSparseEntries) {
                return entry;
            }
        }
        return null;
    }

    private KeepBits remember(KeepBits bits) {
        if (entries.size() >= CAPACITY) {
            entries.removeLast();
        }
        entries.addFirst(bits);
        return bits;
    }

    /** Drops every mask and its storage. */
    synchronized void clear() {
        entries.clear();
    }
}
