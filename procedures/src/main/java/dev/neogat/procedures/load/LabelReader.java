package dev.neogat.procedures.load;

import dev.neogat.data.NodeLabels;
import org.neo4j.graphdb.Node;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads class labels as users store them: an integer or a string per node (one class), or an array of
 * them (multi-label). Classes are numbered in sorted order of their values; the values are kept so that
 * predictions are written back as the user's own values. A node without the property is unlabelled.
 */
final class LabelReader {

    private final String property;
    private final List<Object> raw = new ArrayList<>();
    private Boolean multiLabel;
    private String kindExample;
    private boolean strings;
    private long labelled;

    LabelReader(String property) {
        this.property = property;
    }

    void read(Node node) {
        Object value = node.getProperty(property, null);
        if (value == null) {
            raw.add(null);
            return;
        }
        labelled++;
        boolean isArray = value.getClass().isArray();
        Object normalized = isArray ? normalizeArray(value, node) : normalizeScalar(value, node);
        if (multiLabel == null) {
            multiLabel = isArray;
            strings = isArray ? ((Object[]) normalized).length > 0 && ((Object[]) normalized)[0] instanceof String
                    : normalized instanceof String;
            kindExample = node.getElementId();
        } else if (multiLabel != isArray) {
            throw new IllegalArgumentException("Label property '" + property + "' is " + (isArray ? "a list" : "a single "
                    + "value") + " on node " + node.getElementId() + " but " + (multiLabel ? "a list" : "a single value")
                    + " on node " + kindExample + "; use one or the other for every node");
        }
        raw.add(normalized);
    }

    private Object normalizeScalar(Object value, Node node) {
        if (value instanceof String s) {
            checkKind(true, node);
            return s;
        }
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            checkKind(false, node);
            return ((Number) value).longValue();
        }
        throw new IllegalArgumentException("Label property '" + property + "' of node " + node.getElementId() + " is "
                + FeatureReader.describe(value) + "; labels must be integers or strings (or lists of them)");
    }

    private Object normalizeArray(Object value, Node node) {
        Object[] values;
        if (value instanceof String[] s) {
            values = s;
        } else if (value instanceof long[] a) {
            values = Arrays.stream(a).boxed().toArray();
        } else if (value instanceof int[] a) {
            values = Arrays.stream(a).asLongStream().boxed().toArray();
        } else if (value instanceof short[] || value instanceof byte[]) {
            int length = java.lang.reflect.Array.getLength(value);
            values = new Object[length];
            for (int i = 0; i < length; i++) {
                values[i] = ((Number) java.lang.reflect.Array.get(value, i)).longValue();
            }
        } else {
            throw new IllegalArgumentException("Label property '" + property + "' of node " + node.getElementId()
                    + " is " + FeatureReader.describe(value) + "; labels must be integers or strings (or lists of them)");
        }
        for (Object v : values) {
            checkKind(v instanceof String, node);
        }
        return values;
    }

    private void checkKind(boolean isString, Node node) {
        if (multiLabel != null && strings != isString) {
            throw new IllegalArgumentException("Label property '" + property + "' mixes strings and integers: node "
                    + node.getElementId() + " has " + (isString ? "a string" : "an integer") + " but node "
                    + kindExample + " has " + (strings ? "a string" : "an integer"));
        }
    }

    /** Class values in class-index order; empty when no node has a label. */
    List<Object> classValues() {
        TreeSet<Object> distinct = new TreeSet<>(comparator());
        for (Object value : raw) {
            if (value instanceof Object[] values) {
                distinct.addAll(Arrays.asList(values));
            } else if (value != null) {
                distinct.add(value);
            }
        }
        return new ArrayList<>(distinct);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Comparator<Object> comparator() {
        return (a, b) -> ((Comparable) a).compareTo(b);
    }

    boolean multiLabel() {
        return Boolean.TRUE.equals(multiLabel);
    }

    /** Labels by dense node id, numbered as in {@code classValues}. */
    NodeLabels build(List<Object> classValues) {
        Map<Object, Integer> classIndex = new LinkedHashMap<>();
        for (Object value : classValues) {
            classIndex.put(value, classIndex.size());
        }
        int n = raw.size();
        int classes = Math.max(1, classValues.size());
        if (!multiLabel()) {
            int[] classOf = new int[n];
            for (int i = 0; i < n; i++) {
                Object value = raw.get(i);
                classOf[i] = value == null ? NodeLabels.NO_LABEL : classIndex.get(value);
            }
            return NodeLabels.singleLabel(classOf, classes);
        }
        byte[] memberships = new byte[n * classes];
        boolean[] labeled = new boolean[n];
        for (int i = 0; i < n; i++) {
            Object value = raw.get(i);
            if (value != null) {
                labeled[i] = true;
                for (Object v : (Object[]) value) {
                    memberships[i * classes + classIndex.get(v)] = 1;
                }
            }
        }
        return NodeLabels.multiLabel(classes, memberships, labeled);
    }

    /** Whether any node read so far has the label property. */
    boolean anyLabelled() {
        return labelled > 0;
    }

    /** Whether dense node {@code i} has a label value. */
    boolean hasLabel(int i) {
        return raw.get(i) != null;
    }
}
