package dev.neogat.nn;

/** Node features on the host: one row per node, dense or sparse. */
public sealed interface FeatureMatrix permits DenseMatrix, SparseMatrix {

    int rows();

    int cols();

    /** Stored values (rows × cols for dense, non-zeros for sparse). */
    long storedValues();

    /** A copy whose rows are scaled to sum to 1 (rows summing to 0 are left as they are). */
    FeatureMatrix rowNormalized();
}
