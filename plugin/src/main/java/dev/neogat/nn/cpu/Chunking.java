package dev.neogat.nn.cpu;

/**
 * Chunk sizes for parallel loops. They depend only on the shape of the work, never on the number of
 * threads, which is what keeps results bit-identical for any concurrency.
 */
final class Chunking {

    /** Aim for this many multiply-adds (or comparable steps) per chunk. */
    private static final int WORK_PER_CHUNK = 1 << 15;
    /** Reductions keep one partial per chunk; at most this many. */
    static final int MAX_REDUCTION_CHUNKS = 64;

    private Chunking() {
    }

    /** Grain for a loop whose items each cost about {@code workPerItem}. */
    static int grain(long workPerItem) {
        return (int) Math.max(1, WORK_PER_CHUNK / Math.max(1, workPerItem));
    }

    /** Grain for a reduction over n items: at most {@link #MAX_REDUCTION_CHUNKS} chunks of at least 256 items. */
    static int reductionGrain(int n) {
        int chunks = (int) Math.max(1, Math.min(MAX_REDUCTION_CHUNKS, (n + 255L) / 256));
        return (int) Math.max(1, (n + (long) chunks - 1) / chunks);
    }
}
