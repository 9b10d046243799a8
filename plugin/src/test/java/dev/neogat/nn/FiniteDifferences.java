package dev.neogat.nn;

import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Central finite differences {@code (L(x+h) - L(x-h)) / 2h} for every element of a tensor, compared with
 * the analytic gradient. Only meaningful in float64: the float32 copies of these tests skip.
 */
final class FiniteDifferences {

    private static final double STEP = 1e-6;
    private static final double TOLERANCE = 1e-6;

    private FiniteDifferences() {
    }

    static void requireFloat64() {
        assumeTrue(Precision.IS_FLOAT64,
                "Finite-difference checks run in the float64 twin (dev.neogat.nn64); float32 is too coarse for them");
    }

    /**
     * {@code values} is the live storage the loss reads; {@code analytic} the gradient to check.
     * Elements are perturbed one at a time and restored.
     */
    static void check(String what, float[] values, float[] analytic, DoubleSupplier loss) {
        if (values.length != analytic.length) {
            fail(what + ": " + values.length + " values but " + analytic.length + " gradient entries");
        }
        double maxAbsGradient = 0;
        for (int e = 0; e < values.length; e++) {
            float original = values[e];
            values[e] = (float) (original + STEP);
            double plus = loss.getAsDouble();
            values[e] = (float) (original - STEP);
            double minus = loss.getAsDouble();
            values[e] = original;
            double numeric = (plus - minus) / (2 * STEP);
            double error = Math.abs(numeric - analytic[e]);
            maxAbsGradient = Math.max(maxAbsGradient, Math.abs(numeric));
            if (!(error <= TOLERANCE * Math.max(1, Math.abs(numeric)))) {
                fail(what + ": element " + e + " has analytic gradient " + analytic[e] + " but finite differences give "
                        + numeric + " (error " + error + ")");
            }
        }
        if (values.length > 0 && maxAbsGradient == 0) {
            fail(what + ": every gradient is zero, the check would prove nothing");
        }
    }
}
