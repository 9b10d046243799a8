package dev.neogat.data;

import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.SparseMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InputValidationTest {

    private static String rejected(Executable executable) {
        return assertThrows(IllegalArgumentException.class, executable).getMessage();
    }

    private static void assertContains(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "expected '" + part + "' in: " + message);
        }
    }

    // ================================================================ DenseMatrix

    @Test
    void raggedRowIsRejectedNamingTheRowAndBothWidths() {
        String message = rejected(() -> DenseMatrix.fromRows(new float[][]{{1, 2, 3}, {4, 5, 6}, {7, 8}, {9, 10, 11}}));
        assertContains(message, "row 2", "has 2 values", "expected 3");
    }

    @Test
    void longerRowIsRejectedToo() {
        String message = rejected(() -> DenseMatrix.fromRows(new float[][]{{1}, {2}, {3}, {4, 5}}));
        assertContains(message, "row 3", "has 2 values", "expected 1");
    }

    @Test
    void missingRowAfterTheFirstIsRejectedNamingIt() {
        String message = rejected(() -> DenseMatrix.fromRows(new float[][]{{1, 2}, null}));
        assertContains(message, "row 1", "missing");
    }

    @Test
    void missingFirstRowIsRejectedNamingIt() {
        String message = rejected(() -> DenseMatrix.fromRows(new float[][]{null, {1, 2}}));
        assertContains(message, "row 0", "missing");
    }

    @ParameterizedTest
    @ValueSource(floats = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
    void nonFiniteFeatureIsRejectedNamingRowAndColumn(float bad) {
        float[][] rows = {{0, 1, 2}, {3, 4, 5}, {6, 7, 8}};
        rows[2][1] = bad;
        String message = rejected(() -> DenseMatrix.fromRows(rows));
        assertContains(message, "row 2", "column 1", String.valueOf(bad));

        float[] data = new float[12];
        data[7] = bad; // row 1, column 3 of a 3 x 4 matrix
        assertContains(rejected(() -> new DenseMatrix(3, 4, data)), "row 1", "column 3", String.valueOf(bad));
    }

    @Test
    void denseDataOfTheWrongLengthIsRejectedNamingTheShape() {
        assertContains(rejected(() -> new DenseMatrix(2, 3, new float[5])), "2 x 3", "needs 6", "got 5");
        assertContains(rejected(() -> new DenseMatrix(2, 3, new float[7])), "needs 6", "got 7");
        assertContains(rejected(() -> new DenseMatrix(0, 3, new float[1])), "needs 0", "got 1");
    }

    @Test
    void negativeDenseShapeIsRejectedNamingIt() {
        assertContains(rejected(() -> new DenseMatrix(-1, 3, new float[0])), "-1 x 3");
        assertContains(rejected(() -> new DenseMatrix(2, -2, new float[0])), "2 x -2");
    }

    @Test
    void denseAccessorsFollowRowMajorLayout() {
        DenseMatrix m = DenseMatrix.fromRows(new float[][]{{1, 2, 3}, {4, 5, 6}});
        assertEquals(2, m.rows());
        assertEquals(3, m.cols());
        assertEquals(6, m.storedValues());
        assertArrayEquals(new float[]{1, 2, 3, 4, 5, 6}, m.data());
        assertEquals(6f, m.get(1, 2));
        assertEquals(2f, m.get(0, 1));
        assertArrayEquals(new float[]{4, 5, 6}, m.row(1));
    }

    @Test
    void fromRowsCopiesTheRows() {
        float[][] rows = {{1, 2}, {3, 4}};
        DenseMatrix m = DenseMatrix.fromRows(rows);
        rows[0][0] = 99;
        assertEquals(1f, m.get(0, 0));
    }

    @Test
    void emptyAndZeroWidthMatricesAreAllowed() {
        DenseMatrix none = DenseMatrix.fromRows(new float[0][]);
        assertEquals(0, none.rows());
        assertEquals(0, none.cols());
        DenseMatrix narrow = DenseMatrix.fromRows(new float[][]{{}, {}});
        assertEquals(2, narrow.rows());
        assertEquals(0, narrow.cols());
        DenseMatrix zeros = DenseMatrix.zeros(3, 2);
        assertArrayEquals(new float[6], zeros.data());
    }

    @Test
    void denseRowNormalizedSumsRowsToOneAndLeavesZeroSumRowsAlone() {
        DenseMatrix m = DenseMatrix.fromRows(new float[][]{
                {1, 1, 2},      // sum 4
                {0, 0, 0},      // zero row: untouched
                {0, 5, 0},      // single entry
                {1, -1, 0},     // sums to 0: untouched
                {0.1f, 0.2f, 0.3f},
                {-1, -1, -2}});   // negative sum: still scaled to sum to 1
        DenseMatrix n = m.rowNormalized();
        assertArrayEquals(new float[]{0.25f, 0.25f, 0.5f}, n.row(5));
        assertArrayEquals(new float[]{0.25f, 0.25f, 0.5f}, n.row(0));
        assertArrayEquals(new float[]{0, 0, 0}, n.row(1));
        assertArrayEquals(new float[]{0, 1, 0}, n.row(2));
        assertArrayEquals(new float[]{1, -1, 0}, n.row(3));
        assertEquals(1f, n.get(4, 0) + n.get(4, 1) + n.get(4, 2), 1e-6f);
        // A copy: the original is unchanged.
        assertArrayEquals(new float[]{1, 1, 2}, m.row(0));
    }

    @Test
    void denseRowNormalizedOfRandomRowsSumsToOne() {
        SplittableRandom random = new SplittableRandom(7);
        int rows = 50;
        int cols = 40;
        float[] data = new float[rows * cols];
        for (int p = 0; p < data.length; p++) {
            data[p] = random.nextInt(3) == 0 ? 0 : (float) random.nextDouble(0, 10);
        }
        DenseMatrix n = new DenseMatrix(rows, cols, data).rowNormalized();
        for (int i = 0; i < rows; i++) {
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                sum += n.get(i, j);
                assertEquals(data[i * cols + j] == 0, n.get(i, j) == 0, "zero pattern at " + i + "," + j);
            }
            assertEquals(1.0, sum, 1e-5, "row " + i);
        }
    }

    // ================================================================ SparseMatrix

    /** 3 x 4: row 0 = {1: 2}, row 1 empty, row 2 = {0: 1, 3: 3}. */
    private static SparseMatrix smallSparse() {
        return new SparseMatrix(3, 4, new int[]{0, 1, 1, 3}, new int[]{1, 0, 3}, new float[]{2, 1, 3});
    }

    @Test
    void sparseColumnOutOfRangeIsRejectedNamingRowAndColumn() {
        String message = rejected(() -> new SparseMatrix(3, 4, new int[]{0, 1, 1, 3}, new int[]{1, 0, 4},
                new float[]{2, 1, 3}));
        assertContains(message, "row 2", "column 4", "[0, 4)");
        String negative = rejected(() -> new SparseMatrix(3, 4, new int[]{0, 1, 1, 3}, new int[]{-1, 0, 3},
                new float[]{2, 1, 3}));
        assertContains(negative, "row 0", "column -1");
    }

    @Test
    void sparseUnsortedColumnsAreRejectedNamingRowAndBothColumns() {
        String message = rejected(() -> new SparseMatrix(2, 5, new int[]{0, 1, 4}, new int[]{0, 1, 4, 2},
                new float[]{1, 1, 1, 1}));
        assertContains(message, "row 1", "column 2 after column 4", "ascending");
    }

    @Test
    void sparseDuplicateColumnsAreRejectedNamingRowAndColumn() {
        String message = rejected(() -> new SparseMatrix(2, 5, new int[]{0, 2, 4}, new int[]{0, 3, 2, 2},
                new float[]{1, 1, 1, 1}));
        assertContains(message, "row 1", "column 2 after column 2", "distinct");
    }

    @Test
    void sparseColumnsMayRestartInTheNextRow() {
        SparseMatrix m = new SparseMatrix(2, 5, new int[]{0, 2, 4}, new int[]{3, 4, 0, 1}, new float[]{1, 2, 3, 4});
        assertEquals(4, m.storedValues());
    }

    @ParameterizedTest
    @ValueSource(floats = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
    void sparseNonFiniteValueIsRejectedNamingRowAndColumn(float bad) {
        String message = rejected(() -> new SparseMatrix(3, 4, new int[]{0, 1, 1, 3}, new int[]{1, 0, 3},
                new float[]{2, 1, bad}));
        assertContains(message, "row 2", "column 3", String.valueOf(bad));
    }

    @Test
    void sparseOffsetsOfTheWrongLengthOrNotStartingAtZeroAreRejected() {
        assertContains(rejected(() -> new SparseMatrix(3, 4, new int[]{0, 1, 3}, new int[]{1, 0, 3},
                new float[]{2, 1, 3})), "4 entries");
        assertContains(rejected(() -> new SparseMatrix(3, 4, new int[]{1, 1, 1, 3}, new int[]{1, 0, 3},
                new float[]{2, 1, 3})), "starting at 0");
        assertContains(rejected(() -> new SparseMatrix(0, 4, new int[0], new int[0], new float[0])), "1 entries");
    }

    @Test
    void sparseColumnValueAndOffsetCountMismatchesAreRejectedNamingTheCounts() {
        assertContains(rejected(() -> new SparseMatrix(3, 4, new int[]{0, 1, 1, 3}, new int[]{1, 0, 3},
                new float[]{2, 1})), "3 columns", "2 values");
        assertContains(rejected(() -> new SparseMatrix(3, 4, new int[]{0, 1, 1, 2}, new int[]{1, 0, 3},
                new float[]{2, 1, 3})), "3 columns", "3 values", "2 entries");
    }

    @Test
    void sparseDecreasingOffsetsAreRejectedNamingTheRow() {
        assertContains(rejected(() -> new SparseMatrix(3, 4, new int[]{0, 2, 1, 3}, new int[]{0, 1, 2},
                new float[]{1, 1, 1})), "decrease at row 1");
    }

    @Test
    void sparseOffsetsPastTheLastEntryAreRejectedWithAMessage() {
        // Row 0 claims entries [0, 5) although only 2 exist; row 1 then decreases to 2.
        String message = rejected(() -> new SparseMatrix(2, 10, new int[]{0, 5, 2}, new int[]{0, 1},
                new float[]{1, 1}));
        assertContains(message, "row");
    }

    @Test
    void negativeSparseShapeIsRejected() {
        assertContains(rejected(() -> new SparseMatrix(-1, 4, new int[]{0}, new int[0], new float[0])), "-1 x 4");
        assertContains(rejected(() -> new SparseMatrix(1, -4, new int[]{0, 0}, new int[0], new float[0])), "1 x -4");
    }

    @Test
    void sparseAccessorsAndToDense() {
        SparseMatrix m = smallSparse();
        assertEquals(3, m.rows());
        assertEquals(4, m.cols());
        assertEquals(3, m.storedValues());
        assertArrayEquals(new float[]{0, 2, 0, 0, /**/ 0, 0, 0, 0, /**/ 1, 0, 0, 3}, m.toDense());
    }

    @Test
    void fromDenseKeepsOnlyNonZerosInRowOrder() {
        float[] dense = {0, 2, 0, 0, /**/ 0, 0, 0, 0, /**/ 1, 0, 0, 3};
        SparseMatrix m = SparseMatrix.fromDense(3, 4, dense);
        assertArrayEquals(new int[]{0, 1, 1, 3}, m.rowOffsets());
        assertArrayEquals(new int[]{1, 0, 3}, m.columns());
        assertArrayEquals(new float[]{2, 1, 3}, m.values());
        assertArrayEquals(dense, m.toDense());
    }

    @Test
    void fromDenseAndToDenseRoundTripRandomMatrices() {
        SplittableRandom random = new SplittableRandom(11);
        int[][] shapes = {{0, 0}, {0, 5}, {5, 0}, {1, 1}, {7, 13}, {64, 100}};
        for (int[] shape : shapes) {
            float[] dense = new float[shape[0] * shape[1]];
            for (int p = 0; p < dense.length; p++) {
                dense[p] = random.nextInt(4) == 0 ? (float) random.nextDouble(-5, 5) : 0;
            }
            SparseMatrix sparse = SparseMatrix.fromDense(shape[0], shape[1], dense);
            assertEquals(shape[0], sparse.rows());
            assertEquals(shape[1], sparse.cols());
            assertArrayEquals(dense, sparse.toDense(), shape[0] + " x " + shape[1]);
            SparseMatrix again = SparseMatrix.fromDense(shape[0], shape[1], sparse.toDense());
            assertArrayEquals(sparse.rowOffsets(), again.rowOffsets());
            assertArrayEquals(sparse.columns(), again.columns());
            assertArrayEquals(sparse.values(), again.values());
        }
    }

    @Test
    void fromDenseRejectsNonFiniteValuesNamingRowAndColumn() {
        float[] dense = {0, 1, 0, 0, 0, Float.NaN};
        assertContains(rejected(() -> SparseMatrix.fromDense(2, 3, dense)), "row 1", "column 2", "NaN");
    }

    @Test
    void fromDenseRejectsAnArrayShorterThanTheShape() {
        assertContains(rejected(() -> SparseMatrix.fromDense(2, 3, new float[5])), "6", "5");
    }

    @Test
    void fromDenseRejectsAnArrayLongerThanTheShape() {
        assertContains(rejected(() -> SparseMatrix.fromDense(2, 3, new float[]{1, 0, 0, 0, 0, 0, 1})), "6", "7");
    }

    @Test
    void sparseRowNormalizedSumsRowsToOneAndLeavesZeroSumRowsAlone() {
        // Rows: {0: 1, 3: 3}, empty, {1: 2, 2: -2} (sums to 0), {2: 7}, {0: -1, 1: -3} (negative sum).
        SparseMatrix m = new SparseMatrix(5, 4, new int[]{0, 2, 2, 4, 5, 7},
                new int[]{0, 3, 1, 2, 2, 0, 1}, new float[]{1, 3, 2, -2, 7, -1, -3});
        SparseMatrix n = m.rowNormalized();
        assertArrayEquals(new float[]{0.25f, 0.75f, 2, -2, 1, 0.25f, 0.75f}, n.values());
        assertArrayEquals(m.rowOffsets(), n.rowOffsets());
        assertArrayEquals(m.columns(), n.columns());
        assertArrayEquals(new float[]{1, 3, 2, -2, 7, -1, -3}, m.values(), "original changed");
    }

    @Test
    void sparseAndDenseRowNormalizationAgree() {
        SplittableRandom random = new SplittableRandom(3);
        int rows = 30;
        int cols = 25;
        float[] dense = new float[rows * cols];
        for (int p = 0; p < dense.length; p++) {
            dense[p] = random.nextInt(5) == 0 ? (float) random.nextDouble(0.1, 3) : 0;
        }
        float[] viaDense = new DenseMatrix(rows, cols, dense.clone()).rowNormalized().data();
        float[] viaSparse = SparseMatrix.fromDense(rows, cols, dense).rowNormalized().toDense();
        assertArrayEquals(viaDense, viaSparse, 1e-6f);
        for (int i = 0; i < rows; i++) {
            double sum = 0;
            boolean any = false;
            for (int j = 0; j < cols; j++) {
                sum += viaSparse[i * cols + j];
                any |= dense[i * cols + j] != 0;
            }
            assertEquals(any ? 1.0 : 0.0, sum, 1e-5, "row " + i);
        }
    }

    // ================================================================ NodeLabels

    @Test
    void labelAboveTheRangeIsRejectedNamingNodeAndLabel() {
        String message = rejected(() -> NodeLabels.singleLabel(new int[]{0, 1, NodeLabels.NO_LABEL, 3, 2}, 3));
        assertContains(message, "Label 3 of node 3", "[0, 3)");
    }

    @Test
    void negativeLabelOtherThanNoLabelIsRejectedNamingNodeAndLabel() {
        String message = rejected(() -> NodeLabels.singleLabel(new int[]{0, -2}, 3));
        assertContains(message, "Label -2 of node 1");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1})
    void classCountBelowOneIsRejectedNamingIt(int classCount) {
        assertContains(rejected(() -> NodeLabels.singleLabel(new int[0], classCount)), "got " + classCount);
        assertContains(rejected(() -> NodeLabels.multiLabel(classCount, new byte[0], new boolean[0])),
                "got " + classCount);
    }

    @Test
    void singleLabelAccessors() {
        NodeLabels labels = NodeLabels.singleLabel(new int[]{2, NodeLabels.NO_LABEL, 0}, 3);
        assertFalse(labels.isMultiLabel());
        assertEquals(3, labels.nodeCount());
        assertEquals(3, labels.classCount());
        assertTrue(labels.hasLabel(0));
        assertFalse(labels.hasLabel(1));
        assertEquals(2, labels.classOf(0));
        assertEquals(NodeLabels.NO_LABEL, labels.classOf(1));
        assertTrue(labels.isMember(0, 2));
        assertFalse(labels.isMember(0, 0));
        assertFalse(labels.isMember(1, 0));
        assertNull(labels.memberships());
        assertArrayEquals(new int[]{2, NodeLabels.NO_LABEL, 0}, labels.classes());
    }

    @ParameterizedTest
    @ValueSource(bytes = {2, -1, 127})
    void multiLabelEntryOtherThanZeroOrOneIsRejectedNamingNodeClassAndValue(byte bad) {
        byte[] memberships = new byte[3 * 4];
        memberships[2 * 4 + 1] = bad; // node 2, class 1
        String message = rejected(() -> NodeLabels.multiLabel(4, memberships, new boolean[]{true, true, true}));
        assertContains(message, "node 2", "class 1", "is " + bad);
    }

    @Test
    void multiLabelEntryOfAnUnlabeledNodeIsValidatedToo() {
        byte[] memberships = {0, 1, 0, 3};
        String message = rejected(() -> NodeLabels.multiLabel(2, memberships, new boolean[]{true, false}));
        assertContains(message, "node 1", "class 1", "is 3");
    }

    @Test
    void multiLabelMembershipCountMismatchIsRejectedNamingTheCounts() {
        String message = rejected(() -> NodeLabels.multiLabel(3, new byte[5], new boolean[2]));
        assertContains(message, "need 6", "2 nodes", "3 classes", "got 5");
    }

    @Test
    void multiLabelAccessors() {
        byte[] memberships = {1, 0, 1, /**/ 0, 0, 0, /**/ 0, 1, 0};
        NodeLabels labels = NodeLabels.multiLabel(3, memberships, new boolean[]{true, true, false});
        assertTrue(labels.isMultiLabel());
        assertTrue(labels.hasLabel(0));
        assertTrue(labels.hasLabel(1), "a labeled node in no class still has a label");
        assertFalse(labels.hasLabel(2));
        assertTrue(labels.isMember(0, 0));
        assertFalse(labels.isMember(0, 1));
        assertTrue(labels.isMember(0, 2));
        assertTrue(labels.isMember(2, 1));
        assertSame(memberships, labels.memberships());
        assertThrows(IllegalStateException.class, () -> labels.classOf(0));
    }

    @Test
    void requireLabeledRejectsAnUnlabeledNodeNamingItAndTheSet() {
        NodeLabels labels = NodeLabels.singleLabel(new int[]{0, NodeLabels.NO_LABEL, 1}, 2);
        String message = rejected(() -> labels.requireLabeled(new int[]{0, 2, 1}, "validation"));
        assertContains(message, "Node 1", "validation set", "no label");
    }

    @Test
    void requireLabeledRejectsAnOutOfRangeNodeNamingItAndTheRange() {
        NodeLabels labels = NodeLabels.singleLabel(new int[]{0, 1, 1}, 2);
        assertContains(rejected(() -> labels.requireLabeled(new int[]{0, 3}, "training")),
                "training set", "node 3", "[0, 3)");
        assertContains(rejected(() -> labels.requireLabeled(new int[]{-1}, "test")), "test set", "node -1");
    }

    @Test
    void requireLabeledRejectsAnUnlabeledMultiLabelNode() {
        NodeLabels labels = NodeLabels.multiLabel(2, new byte[]{1, 0, 0, 1}, new boolean[]{true, false});
        assertContains(rejected(() -> labels.requireLabeled(new int[]{1}, "training")), "Node 1", "no label");
    }

    @Test
    void requireLabeledAcceptsLabeledNodesAndAnEmptySet() {
        NodeLabels labels = NodeLabels.singleLabel(new int[]{0, NodeLabels.NO_LABEL, 1}, 2);
        labels.requireLabeled(new int[]{0, 2, 0}, "training");
        labels.requireLabeled(new int[0], "training");
        NodeLabels empty = NodeLabels.singleLabel(new int[0], 1);
        assertContains(rejected(() -> empty.requireLabeled(new int[]{0}, "training")), "node 0", "[0, 0)");
    }
}
