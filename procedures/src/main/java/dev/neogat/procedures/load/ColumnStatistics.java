package dev.neogat.procedures.load;

import dev.neogat.nn.DenseMatrix;
import dev.neogat.procedures.config.RelationshipFeatureConfig;

/**
 * The mean and standard deviation of each relationship-feature column over every projected relationship, added
 * up as the store is read (sums in double; the deviation from the sum of squares, so that one pass reads each
 * relationship once), as {@link RelationshipFeatureReader#standardize} computes them over rows in the heap.
 */
final class ColumnStatistics {

    private final double[] sum;
    private final double[] squares;
    private long rows;

    ColumnStatistics(int columns) {
        sum = new double[columns];
        squares = new double[columns];
    }

    /** Adds the rows of {@code owned}. */
    void add(DenseMatrix owned) {
        int columns = sum.length;
        float[] data = owned.data();
        for (int row = 0; row < owned.rows(); row++) {
            for (int k = 0; k < columns; k++) {
                double v = data[row * columns + k];
                sum[k] += v;
                squares[k] += v * v;
            }
        }
        rows += owned.rows();
    }

    /** {@code config} with the statistics of the rows added. */
    RelationshipFeatureConfig applyTo(RelationshipFeatureConfig config) {
        int columns = sum.length;
        double[] mean = new double[columns];
        double[] deviation = new double[columns];
        for (int k = 0; k < columns; k++) {
            mean[k] = sum[k] / Math.max(rows, 1);
            double sd = Math.sqrt(Math.max(0, squares[k] / Math.max(rows, 1) - mean[k] * mean[k]));
            // A constant column carries no information; scaling it by 0 would divide by zero.
            deviation[k] = sd > 0 ? sd : 1;
        }
        return config.withStatistics(mean, deviation);
    }
}
