package dev.neogat.procedures.load;

import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.FeatureMatrix;
import dev.neogat.nn.SparseMatrix;
import org.neo4j.graphdb.Node;

import java.util.Arrays;
import java.util.List;

/**
 * Reads node features from one numeric-array property or several numeric (scalar or array) properties
 * concatenated. Values are collected sparsely (zeros skipped) and become a dense matrix only when more
 * than a quarter of them are non-zero, so bag-of-words features stay sparse all the way into the model.
 * Every problem is reported once, naming the property and an example node.
 */
final class FeatureReader {

    /** Above this share of non-zeros the features are stored dense. */
    private static final double DENSE_ABOVE = 0.25;

    private final List<String> properties;
    private final boolean zeroMissing;
    private int width = -1;
    private String widthExample;
    private int rows;
    private int[] offsets = new int[1025];
    private int[] columns = new int[4096];
    private float[] values = new float[4096];
    private int entries;
    private long missing;
    private String missingExample;
    private String missingProperty;
    private final boolean[] present;
    /** Rows and non-zero values read before the last {@link #discardRows()}. */
    private long discardedRows;
    private long discardedEntries;

    FeatureReader(List<String> properties, boolean zeroMissing) {
        this.properties = properties;
        this.zeroMissing = zeroMissing;
        this.present = new boolean[properties.size()];
    }

    /** The properties no node read so far has. */
    List<String> absentProperties() {
        List<String> absent = new java.util.ArrayList<>();
        for (int p = 0; p < properties.size(); p++) {
            if (!present[p]) {
                absent.add(properties.get(p));
            }
        }
        return absent;
    }

    /** Reads the next row from {@code node}. */
    void read(Node node) {
        if (rows + 1 == offsets.length) {
            offsets = Arrays.copyOf(offsets, offsets.length * 2);
        }
        int column = 0;
        boolean complete = true;
        int rowStart = entries;
        for (int p = 0; p < properties.size(); p++) {
            String property = properties.get(p);
            if (!complete) {
                // The row is incomplete already: only whether the property is on any node still matters.
                present[p] |= node.hasProperty(property);
                continue;
            }
            Object value = node.getProperty(property, null);
            if (value == null) {
                complete = false;
                if (missing++ == 0) {
                    missingExample = node.getElementId();
                    missingProperty = property;
                }
                continue;
            }
            present[p] = true;
            column = append(value, property, node, column);
        }
        if (!complete) {
            entries = rowStart;
            if (width > 0 || zeroMissing) {
                column = width;
            }
        } else if (width < 0) {
            width = column;
            widthExample = node.getElementId();
        } else if (column != width) {
            throw new IllegalArgumentException("Node " + node.getElementId() + " has " + column + " feature values in "
                    + properties + " but node " + widthExample + " has " + width + "; every node needs the same number");
        }
        offsets[++rows] = entries;
    }

    private int append(Object value, String property, Node node, int column) {
        if (value instanceof Number number) {
            add(number.doubleValue(), property, node, column);
            return column + 1;
        }
        if (value instanceof double[] array) {
            for (double v : array) {
                add(v, property, node, column++);
            }
        } else if (value instanceof float[] array) {
            for (float v : array) {
                add(v, property, node, column++);
            }
        } else if (value instanceof long[] array) {
            for (long v : array) {
                add(v, property, node, column++);
            }
        } else if (value instanceof int[] array) {
            for (int v : array) {
                add(v, property, node, column++);
            }
        } else if (value instanceof short[] array) {
            for (short v : array) {
                add(v, property, node, column++);
            }
        } else if (value instanceof byte[] array) {
            for (byte v : array) {
                add(v, property, node, column++);
            }
        } else {
            throw new IllegalArgumentException("Feature property '" + property + "' of node " + node.getElementId()
                    + " is " + describe(value) + "; features must be numbers or arrays of numbers");
        }
        return column;
    }

    private void add(double v, String property, Node node, int column) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException("Feature property '" + property + "' of node " + node.getElementId()
                    + " holds " + v + " at position " + column + "; features must be finite numbers");
        }
        if (v == 0) {
            return;
        }
        if (entries == columns.length) {
            columns = Arrays.copyOf(columns, entries * 2);
            values = Arrays.copyOf(values, entries * 2);
        }
        columns[entries] = column;
        values[entries++] = (float) v;
    }

    static String describe(Object value) {
        if (value instanceof String s) {
            return "the string '" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "'";
        }
        if (value instanceof String[]) {
            return "a list of strings";
        }
        if (value instanceof boolean[] || value instanceof Boolean) {
            return "a boolean";
        }
        return "a " + value.getClass().getSimpleName();
    }

    /**
     * A reader of rows of a projection whose width is known already (from a whole pass over it): a row of another
     * width names {@code example} as the node with the right one.
     */
    FeatureReader expecting(int knownWidth, String example) {
        width = knownWidth;
        widthExample = example;
        return this;
    }

    /** Width found so far (-1 before a complete row) and a node that has it. */
    int width() {
        return width;
    }

    String widthExample() {
        return widthExample;
    }

    /** Forgets the rows read so far, keeping the width, the checks and the counts of rows and non-zero values. */
    void discardRows() {
        discardedRows += rows;
        discardedEntries += entries;
        rows = 0;
        entries = 0;
    }

    /** Rows and non-zero values read, discarded ones included. */
    long rowsRead() {
        return discardedRows + rows;
    }

    long valuesRead() {
        return discardedEntries + entries;
    }

    /** Whether {@link #build()} would store every row read (discarded ones included) dense. */
    boolean wouldBeDense() {
        return valuesRead() > DENSE_ABOVE * rowsRead() * (double) width;
    }

    /** The features of the rows read, after checking for missing values. */
    FeatureMatrix build() {
        return build(entries > DENSE_ABOVE * rows * (double) width);
    }

    /** Fails as {@link #build()} does when a node lacks a feature or no node has one. */
    void requireComplete() {
        if (missing > 0 && !zeroMissing) {
            throw new IllegalArgumentException(missing + (missing == 1 ? " node lacks" : " nodes lack") + " the feature "
                    + "property '" + missingProperty + "' (e.g. node " + missingExample + "); set missingFeatures: "
                    + "'zero' to use zeros for them");
        }
        if (width <= 0) {
            throw new IllegalArgumentException(rowsRead() == 0 ? "There are no nodes to read features from"
                    : "No node has the feature properties " + properties + " with at least one value");
        }
    }

    /** The rows read (not discarded), dense or sparse as asked. */
    FeatureMatrix build(boolean dense) {
        requireComplete();
        int[] rowOffsets = Arrays.copyOf(offsets, rows + 1);
        SparseMatrix sparse = new SparseMatrix(rows, width, rowOffsets, Arrays.copyOf(columns, entries),
                Arrays.copyOf(values, entries));
        if (dense) {
            return new DenseMatrix(rows, width, sparse.toDense());
        }
        return sparse;
    }

    long missingCount() {
        return missing;
    }
}
