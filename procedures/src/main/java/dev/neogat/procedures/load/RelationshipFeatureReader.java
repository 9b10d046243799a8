package dev.neogat.procedures.load;

import dev.neogat.nn.DenseMatrix;
import dev.neogat.procedures.config.RelationshipFeatureConfig;
import org.neo4j.graphdb.Relationship;

import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one row of relationship features per relationship, in the order they are read (the order of the edges
 * given to the graph builder): the relationship type's properties, numeric scalars or arrays, concatenated. Each
 * property keeps one width for a type; a missing property fails the run at the end (how many, with an example) or
 * reads as zeros of its width (before standardisation). Every type must give the same number of values.
 * {@link #standardize} applies a stored model's statistics, or, when training, computes them from the rows.
 */
public final class RelationshipFeatureReader {

    private final RelationshipFeatureConfig config;
    /** Per type: the width of each of its properties (-1 until seen), and an example relationship. */
    private final Map<String, int[]> widths = new HashMap<>();
    private final Map<String, String[]> widthExamples = new HashMap<>();
    private int[] rowStart = new int[1025];
    private String[] rowType = new String[1024];
    private float[] values = new float[4096];
    private int rows;
    private int entries;
    private final BitSet missingProperty = new BitSet();
    private final int maxProperties;
    private long missing;
    private String missingExample;
    /** Rows read, discarded ones included. */
    private long read;

    RelationshipFeatureReader(RelationshipFeatureConfig config) {
        this.config = config;
        int most = config.properties() == null ? 0 : config.properties().size();
        if (config.byType() != null) {
            for (List<String> properties : config.byType().values()) {
                most = Math.max(most, properties.size());
            }
        }
        this.maxProperties = most;
    }

    /**
     * A reader that knows the widths {@code scanned} has seen (every projected relationship read and checked), so
     * that the rows of any subset of relationships are built as the whole set's would be.
     */
    RelationshipFeatureReader expecting(RelationshipFeatureReader scanned) {
        scanned.widths.forEach((type, typeWidths) -> widths.put(type, typeWidths.clone()));
        scanned.widthExamples.forEach((type, examples) -> widthExamples.put(type, examples.clone()));
        return this;
    }

    /** Forgets the rows read so far, keeping what {@link #checkedWidth} checks: widths and missing values. */
    void discardRows() {
        rows = 0;
        entries = 0;
        missingProperty.clear();
    }

    /** Reads the next row from {@code relationship}. */
    void read(Relationship relationship) {
        String type = relationship.getType().name();
        List<String> properties = config.propertiesOf(type);
        if (properties == null) {
            throw new IllegalArgumentException("Relationship " + relationship.getElementId() + " has the type '" + type
                    + "', for which relationshipFeatures " + config.byType() + " gives no properties; add the type "
                    + "to relationshipFeatures or leave it out of relationshipTypes");
        }
        if (rows + 1 == rowStart.length) {
            rowStart = Arrays.copyOf(rowStart, rowStart.length * 2);
            // One type per row, one start more than rows: doubling both lengths would leave rowType behind.
            rowType = Arrays.copyOf(rowType, rowStart.length - 1);
        }
        int[] typeWidths = widths.computeIfAbsent(type, t -> {
            int[] unknown = new int[properties.size()];
            Arrays.fill(unknown, -1);
            return unknown;
        });
        String[] examples = widthExamples.computeIfAbsent(type, t -> new String[properties.size()]);
        rowType[rows] = type;
        read++;
        for (int p = 0; p < properties.size(); p++) {
            String property = properties.get(p);
            Object value = relationship.getProperty(property, null);
            if (value == null) {
                if (missing++ == 0) {
                    missingExample = "relationship " + relationship.getElementId() + " of type '" + type
                            + "' lacks the property '" + property + "'";
                }
                missingProperty.set(rows * maxProperties + p);
                continue;
            }
            int before = entries;
            append(value, property, relationship, type);
            int width = entries - before;
            if (typeWidths[p] < 0) {
                typeWidths[p] = width;
                examples[p] = relationship.getElementId();
            } else if (typeWidths[p] != width) {
                throw new IllegalArgumentException("Relationship " + relationship.getElementId() + " (type '" + type
                        + "') has " + width + " values in the property '" + property + "' but relationship "
                        + examples[p] + " has " + typeWidths[p] + "; relationshipFeatures need the same number on "
                        + "every relationship of a type");
            }
        }
        rowStart[++rows] = entries;
    }

    private void append(Object value, String property, Relationship relationship, String type) {
        if (value instanceof Number number) {
            add(number.doubleValue(), property, relationship, type);
        } else if (value instanceof double[] array) {
            for (double v : array) {
                add(v, property, relationship, type);
            }
        } else if (value instanceof float[] array) {
            for (float v : array) {
                add(v, property, relationship, type);
            }
        } else if (value instanceof long[] array) {
            for (long v : array) {
                add(v, property, relationship, type);
            }
        } else if (value instanceof int[] array) {
            for (int v : array) {
                add(v, property, relationship, type);
            }
        } else if (value instanceof short[] array) {
            for (short v : array) {
                add(v, property, relationship, type);
            }
        } else if (value instanceof byte[] array) {
            for (byte v : array) {
                add(v, property, relationship, type);
            }
        } else {
            throw new IllegalArgumentException("The relationship feature property '" + property + "' of relationship "
                    + relationship.getElementId() + " (type '" + type + "') is " + FeatureReader.describe(value)
                    + "; relationshipFeatures must be numbers or arrays of numbers");
        }
    }

    private void add(double v, String property, Relationship relationship, String type) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException("The relationship feature property '" + property + "' of relationship "
                    + relationship.getElementId() + " (type '" + type + "') holds " + v
                    + "; relationshipFeatures must be finite numbers");
        }
        if (entries == values.length) {
            values = Arrays.copyOf(values, entries * 2);
        }
        values[entries++] = (float) v;
    }

    /**
     * [relationships, width]; when training with standardisation, {@link #mean()} and {@link #standardDeviation()}
     * then hold the statistics used. Fails on missing values (unless zero-filled), on a property no relationship of
     * a type carries, and on types of different widths.
     */
    DenseMatrix build() {
        int width = checkedWidth();
        if (rows == 0) {
            // No relationship to learn the width from: the caller knows it (a stored model) or refuses to train.
            return new DenseMatrix(0, 0, new float[0]);
        }
        float[] data = new float[Math.multiplyExact(rows, width)];
        for (int r = 0; r < rows; r++) {
            int[] typeWidths = widths.get(rowType[r]);
            int column = r * width;
            int from = rowStart[r];
            for (int p = 0; p < typeWidths.length; p++) {
                if (!missingProperty.get(r * maxProperties + p)) {
                    System.arraycopy(values, from, data, column, typeWidths[p]);
                    from += typeWidths[p];
                }
                column += typeWidths[p];
            }
        }
        return new DenseMatrix(rows, width, data);
    }

    /**
     * The checks of {@link #build} over every row read (discarded ones included): the width of a row, or -1 when
     * no relationship was read.
     */
    int checkedWidth() {
        if (missing > 0 && !config.zeroMissing()) {
            throw new IllegalArgumentException(missing + (missing == 1 ? " relationship lacks" : " relationships lack")
                    + " a relationshipFeatures property (e.g. " + missingExample + "); set "
                    + "missingRelationshipFeatures: 'zero' to use zeros for them");
        }
        int width = -1;
        String widthType = null;
        for (Map.Entry<String, int[]> entry : widths.entrySet()) {
            String type = entry.getKey();
            List<String> properties = config.propertiesOf(type);
            int total = 0;
            for (int p = 0; p < properties.size(); p++) {
                if (entry.getValue()[p] < 0) {
                    throw new IllegalArgumentException("None of the projected relationships of type '" + type
                            + "' has the relationshipFeatures property '" + properties.get(p) + "'");
                }
                total += entry.getValue()[p];
            }
            if (width < 0) {
                width = total;
                widthType = type;
            } else if (total != width) {
                throw new IllegalArgumentException("Relationships of type '" + type + "' give " + total
                        + " relationshipFeatures values " + properties + " but those of type '" + widthType + "' give "
                        + width + " " + config.propertiesOf(widthType) + "; every type needs the same number");
            }
        }
        if (read == 0) {
            return -1;
        }
        if (width == 0) {
            throw new IllegalArgumentException("The relationshipFeatures properties " + config.allProperties()
                    + " hold no values (empty arrays)");
        }
        return width;
    }

    /**
     * {@code features} standardised in place by the statistics of {@code config}, or (when it has none yet) by the
     * mean and standard deviation of each column here, returned as {mean, standardDeviation}; a constant column
     * is only shifted. Null when the configuration does not standardise.
     */
    public static double[][] standardize(RelationshipFeatureConfig config, DenseMatrix features) {
        if (!config.standardize()) {
            return null;
        }
        int d = features.cols();
        int rows = features.rows();
        float[] data = features.data();
        double[] mean = new double[d];
        double[] deviation = new double[d];
        if (config.mean() != null) {
            if (config.mean().size() != d) {
                throw new IllegalArgumentException("The model standardises " + config.mean().size()
                        + " relationship feature values per relationship but relationshipFeatures "
                        + config.given() + " give " + d);
            }
            for (int k = 0; k < d; k++) {
                mean[k] = config.mean().get(k);
                deviation[k] = config.standardDeviation().get(k);
            }
        } else {
            for (int r = 0; r < rows; r++) {
                for (int k = 0; k < d; k++) {
                    mean[k] += data[r * d + k];
                }
            }
            for (int k = 0; k < d; k++) {
                mean[k] /= Math.max(rows, 1);
            }
            for (int r = 0; r < rows; r++) {
                for (int k = 0; k < d; k++) {
                    double centred = data[r * d + k] - mean[k];
                    deviation[k] += centred * centred;
                }
            }
            for (int k = 0; k < d; k++) {
                double sd = Math.sqrt(deviation[k] / Math.max(rows, 1));
                // A constant column carries no information; scaling it by 0 would divide by zero.
                deviation[k] = sd > 0 ? sd : 1;
            }
        }
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < d; k++) {
                data[r * d + k] = (float) ((data[r * d + k] - mean[k]) / deviation[k]);
            }
        }
        return new double[][]{mean, deviation};
    }
}
