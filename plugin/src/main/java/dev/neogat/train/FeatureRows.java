package dev.neogat.train;

import dev.neogat.nn.FeatureMatrix;

/**
 * Where a mini-batch reads its nodes' feature rows: an in-heap matrix ({@link #of}) or a reader of the store that
 * holds only the rows asked for. Every source of one graph gives the same rows in the same storage (dense or
 * sparse), so training does not depend on where they come from.
 */
public interface FeatureRows {

    /** Features per node. */
    int cols();

    /** The rows of {@code nodes} (whole-graph ids), in that order. */
    FeatureMatrix rows(int[] nodes);

    /** These rows, each scaled to sum 1 when {@code normalize} (as the model reads them), else these rows. */
    default FeatureRows rowNormalized(boolean normalize) {
        if (!normalize) {
            return this;
        }
        FeatureRows raw = this;
        return new FeatureRows() {
            @Override
            public int cols() {
                return raw.cols();
            }

            @Override
            public FeatureMatrix rows(int[] nodes) {
                return raw.rows(nodes).rowNormalized();
            }
        };
    }

    /** The rows of an in-heap matrix. */
    static FeatureRows of(FeatureMatrix matrix) {
        return new FeatureRows() {
            @Override
            public int cols() {
                return matrix.cols();
            }

            @Override
            public FeatureMatrix rows(int[] nodes) {
                return MiniBatchSteps.rows(matrix, nodes);
            }
        };
    }
}
