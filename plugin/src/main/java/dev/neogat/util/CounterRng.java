package dev.neogat.util;

/**
 * A counter-based random number source: the value for element {@code index} of a stream is a pure
 * function of (stream key, index). Dropout masks are therefore never stored: forward and backward,
 * CPU and GPU, any thread count, all recompute the same mask bit for the same element.
 *
 * <p>The mixing function is Chris Wellons' "lowbias32" integer hash, applied twice with the two
 * halves of the 64-bit key. The GPU kernels implement the same arithmetic.
 */
public final class CounterRng {

    private CounterRng() {
    }

    /** 32 well-mixed bits for element {@code index} of the stream {@code key}. */
    public static int bits(long key, int index) {
        int x = lowbias32(index ^ (int) key);
        return lowbias32(x + (int) (key >>> 32));
    }

    /** A uniform double in [0, 1) with 24 random bits, for element {@code index}. */
    public static double uniform(long key, int index) {
        return (bits(key, index) >>> 8) * 0x1p-24;
    }

    static int lowbias32(int x) {
        x ^= x >>> 16;
        x *= 0x7feb352d;
        x ^= x >>> 15;
        x *= 0x846ca68b;
        x ^= x >>> 16;
        return x;
    }

    /** SplitMix64 finaliser: derives independent stream keys from a seed and a few counters. */
    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** A stream key for (seed, a, b, c), e.g. (seed, step, layer, purpose). */
    public static long streamKey(long seed, long a, long b, long c) {
        long k = mix64(seed + 0x9e3779b97f4a7c15L);
        k = mix64(k ^ (a * 0x9e3779b97f4a7c15L));
        k = mix64(k ^ (b * 0xc2b2ae3d27d4eb4fL));
        return mix64(k ^ (c * 0x165667b19e3779f9L));
    }
}
