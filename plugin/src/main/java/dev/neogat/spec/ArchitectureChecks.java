package dev.neogat.spec;

/** The range checks that {@link GatConfig.Builder}, {@link TypedGatConfig} and {@link LayerSpec} share, with one wording. */
final class ArchitectureChecks {

    private ArchitectureChecks() {
    }

    static void requireAtLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ", got " + value);
        }
    }

    /** A dropout rate: in [0, 1). */
    static void requireProbability(String name, double p) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1), got " + p);
        }
    }

    /** LeakyReLU's slope for negative scores: in [0, 1]. */
    static void requireNegativeSlope(double negativeSlope) {
        if (!(negativeSlope >= 0 && negativeSlope <= 1)) {
            throw new IllegalArgumentException("negativeSlope must be in [0, 1], got " + negativeSlope);
        }
    }
}
