package dev.neogat.analysis;

import java.util.Arrays;

/**
 * Counts of values per bin, the bins given by their boundaries {@code b0 < b1 < ... < bk}: bin j holds
 * values in [b_j, b_(j+1)), the last bin also holds b_k. Values outside [b0, bk] and NaN are not counted.
 */
public final class Histogram {

    private final double[] boundaries;
    private final long[] counts;

    public Histogram(double[] boundaries) {
        if (boundaries.length < 2) {
            throw new IllegalArgumentException("A histogram needs at least two bin boundaries, got " + boundaries.length);
        }
        for (int j = 1; j < boundaries.length; j++) {
            if (!(boundaries[j] > boundaries[j - 1])) {
                throw new IllegalArgumentException("Bin boundaries must increase, but " + boundaries[j] + " follows "
                        + boundaries[j - 1]);
            }
        }
        this.boundaries = boundaries.clone();
        this.counts = new long[boundaries.length - 1];
    }

    /** {@code bins} equal bins over [low, high]. */
    public static Histogram equalWidth(double low, double high, int bins) {
        if (bins < 1) {
            throw new IllegalArgumentException("A histogram needs at least one bin, got " + bins);
        }
        double top = high > low ? high : low + 1;
        double[] boundaries = new double[bins + 1];
        for (int j = 0; j <= bins; j++) {
            boundaries[j] = low + (top - low) * j / bins;
        }
        return new Histogram(boundaries);
    }

    public void add(double value) {
        if (Double.isNaN(value) || value < boundaries[0] || value > boundaries[boundaries.length - 1]) {
            return;
        }
        int bin = Arrays.binarySearch(boundaries, value);
        if (bin < 0) {
            bin = -bin - 2;
        }
        counts[Math.min(bin, counts.length - 1)]++;
    }

    public int bins() {
        return counts.length;
    }

    public double lower(int bin) {
        return boundaries[bin];
    }

    public double upper(int bin) {
        return boundaries[bin + 1];
    }

    public long count(int bin) {
        return counts[bin];
    }
}
