package dev.neogat.nn;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Test helpers that read the same in the float32 source and in its generated float64 twin: there,
 * {@code float} becomes {@code double}, so {@link #IS_FLOAT64} and the tolerances follow.
 */
public final class Precision {

    /** True in the float64 twin. */
    public static final boolean IS_FLOAT64 = Math.ulp(1f) < 1e-10;
    /** Agreement with PyG's float64 numbers: 1e-9 for float64, 1e-5 for float32 (relative to max(1, |x|)). */
    public static final double GOLDEN_TOLERANCE = IS_FLOAT64 ? 1e-9 : 1e-5;
    public static final String NAME = IS_FLOAT64 ? "float64" : "float32";

    private Precision() {
    }

    public static float[] values(double[] source) {
        float[] out = new float[source.length];
        for (int i = 0; i < source.length; i++) {
            out[i] = (float) source[i];
        }
        return out;
    }

    public static double[] widen(float[] source) {
        double[] out = new double[source.length];
        for (int i = 0; i < source.length; i++) {
            out[i] = source[i];
        }
        return out;
    }

    public static float[] download(Backend backend, Tensor tensor) {
        float[] out = new float[tensor.rows() * tensor.cols()];
        backend.download(tensor, out);
        return out;
    }

    /** |actual - expected| <= tolerance · max(1, |expected|) element-wise, naming the first mismatch. */
    public static void assertClose(double[] expected, float[] actual, double tolerance, String what) {
        if (expected.length != actual.length) {
            fail(what + ": expected " + expected.length + " values, got " + actual.length);
        }
        for (int i = 0; i < expected.length; i++) {
            double error = Math.abs(actual[i] - expected[i]);
            if (!(error <= tolerance * Math.max(1, Math.abs(expected[i])))) {
                fail(what + " [" + NAME + "]: element " + i + " is " + actual[i] + ", expected " + expected[i]
                        + " (error " + error + ", tolerance " + tolerance + ")");
            }
        }
    }

    public static void assertGolden(double[] expected, float[] actual, String what) {
        assertClose(expected, actual, GOLDEN_TOLERANCE, what);
    }
}
