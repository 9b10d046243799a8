package dev.neogat.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Flattening of nested JSON number lists (as the golden files hold them) into double arrays. */
public final class JsonValues {

    private JsonValues() {
    }

    public static double[] flat(Object nested) {
        List<Double> values = new ArrayList<>();
        collect(nested, values);
        double[] out = new double[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    private static void collect(Object value, List<Double> out) {
        if (value instanceof List<?> list) {
            for (Object item : list) {
                collect(item, out);
            }
        } else if (value instanceof Number number) {
            out.add(number.doubleValue());
        } else {
            throw new IllegalArgumentException("Not a number: " + value);
        }
    }

    /** Rows × cols of a nested list [[...], ...]. */
    public static int[] shape(Object nested) {
        List<?> rows = (List<?>) nested;
        return new int[]{rows.size(), ((List<?>) rows.get(0)).size()};
    }

    public static int[] ints(Object list) {
        return ((List<?>) list).stream().mapToInt(v -> ((Number) v).intValue()).toArray();
    }

    /** [rows, cols] → [cols, rows], row-major. */
    public static double[] transpose(double[] values, int rows, int cols) {
        double[] out = new double[values.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out[j * rows + i] = values[i * cols + j];
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(Object value) {
        return (Map<String, Object>) value;
    }
}
