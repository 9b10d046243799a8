package dev.neogat.procedures.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a procedure's configuration map once, with one clear message per wrong value: unknown keys are
 * rejected naming the closest valid key, and every value is checked for its type and range. The values
 * read, defaults included, are collected for reporting back to the user.
 */
public final class ConfigMap {

    private final Map<String, Object> raw;
    private final Map<String, Object> used = new LinkedHashMap<>();

    /** Fails when {@code raw} has a key outside {@code validKeys}. */
    public ConfigMap(Map<String, Object> raw, Collection<String> validKeys) {
        this.raw = raw == null ? Map.of() : raw;
        for (String key : this.raw.keySet()) {
            if (!validKeys.contains(key)) {
                throw new IllegalArgumentException(unknownKeyMessage(key, validKeys));
            }
        }
    }

    static String unknownKeyMessage(String key, Collection<String> validKeys) {
        String closest = closest(key, validKeys);
        StringBuilder message = new StringBuilder("Unknown configuration key '" + key + "'");
        if (closest != null) {
            message.append("; did you mean '").append(closest).append("'?");
        }
        message.append(" Valid keys: ").append(String.join(", ", new TreeSet<>(validKeys)));
        return message.toString();
    }

    /**
     * The candidate closest to {@code name} (case-insensitive edit distance), or null when none is close
     * enough to be a likely typo: the did-you-mean of configuration keys and of database names alike.
     */
    public static String closest(String name, Collection<String> candidates) {
        String closest = null;
        int best = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            int distance = editDistance(name.toLowerCase(Locale.ROOT), candidate.toLowerCase(Locale.ROOT));
            if (distance < best) {
                best = distance;
                closest = candidate;
            }
        }
        return closest != null && best <= Math.max(2, name.length() / 3) ? closest : null;
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /** The value as given, unchecked, for a key whose reading lives elsewhere (e.g. a nested map). */
    public Object rawValue(String key) {
        return raw.get(key);
    }

    public boolean has(String key) {
        return raw.get(key) != null;
    }

    /** The values read so far, defaults included, in reading order; unset optional values are left out. */
    public Map<String, Object> used() {
        Map<String, Object> copy = new LinkedHashMap<>(used);
        copy.values().removeIf(java.util.Objects::isNull);
        return copy;
    }

    /** Records a value that is derived rather than read (e.g. a default that depends on the data). */
    public void record(String key, Object value) {
        used.put(key, value);
    }

    /** The error for a required key that was not given; {@code purpose} says what the key is for. */
    public static IllegalArgumentException missing(String key, String purpose) {
        return new IllegalArgumentException("Configuration '" + key + "' is required: " + purpose);
    }

    /** A string that must be given. */
    public String requiredString(String key, String purpose) {
        String value = string(key, null);
        if (value == null) {
            throw missing(key, purpose);
        }
        return value;
    }

    public String string(String key, String defaultValue) {
        Object value = raw.get(key);
        if (value == null) {
            return remember(key, defaultValue);
        }
        if (!(value instanceof String s)) {
            throw wrongType(key, "a string", value);
        }
        if (s.isBlank()) {
            throw new IllegalArgumentException("Configuration '" + key + "' must not be blank");
        }
        return remember(key, s);
    }

    /** A string or a list of strings; the default when absent. */
    public List<String> strings(String key, List<String> defaultValue) {
        Object value = raw.get(key);
        if (value == null) {
            return remember(key, defaultValue);
        }
        List<String> result = new ArrayList<>();
        if (value instanceof String s) {
            result.add(s);
        } else if (value instanceof List<?> list) {
            for (Object item : list) {
                if (!(item instanceof String s)) {
                    throw wrongType(key, "a string or a list of strings", value);
                }
                result.add(s);
            }
        } else {
            throw wrongType(key, "a string or a list of strings", value);
        }
        for (String s : result) {
            if (s.isBlank()) {
                throw new IllegalArgumentException("Configuration '" + key + "' must not contain blank names");
            }
        }
        return remember(key, List.copyOf(result));
    }

    public int integer(String key, int defaultValue, int min, int max) {
        Object value = raw.get(key);
        if (value == null) {
            return remember(key, defaultValue);
        }
        if (!(value instanceof Long || value instanceof Integer)
                && !(value instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d))) {
            throw wrongType(key, "an integer", value);
        }
        double number = ((Number) value).doubleValue();
        if (number < min || number > max) {
            throw new IllegalArgumentException("Configuration '" + key + "' must be " + range(min, max) + ", got "
                    + format(value));
        }
        return remember(key, (int) number);
    }

    /** An integer or a list of integers, each in [min, max]; the default as a one-element list when absent. */
    public List<Integer> integers(String key, int defaultValue, int min, int max) {
        Object value = raw.get(key);
        if (value == null) {
            return remember(key, List.of(defaultValue));
        }
        List<?> items = value instanceof List<?> list ? list : List.of(value);
        if (items.isEmpty()) {
            throw new IllegalArgumentException("Configuration '" + key + "' must not be an empty list");
        }
        List<Integer> result = new ArrayList<>();
        for (Object item : items) {
            if (!(item instanceof Long || item instanceof Integer)) {
                throw wrongType(key, "an integer or a list of integers", value);
            }
            long number = ((Number) item).longValue();
            if (number < min || number > max) {
                throw new IllegalArgumentException("Configuration '" + key + "' must be " + range(min, max)
                        + (items.size() > 1 ? " for every layer" : "") + ", got " + number);
            }
            result.add((int) number);
        }
        return remember(key, List.copyOf(result));
    }

    /** A list of numbers, or null when absent. */
    public List<Double> numbers(String key) {
        Object value = raw.get(key);
        if (value == null) {
            return remember(key, null);
        }
        if (!(value instanceof List<?> list) || list.stream().anyMatch(v -> !(v instanceof Number))) {
            throw wrongType(key, "a list of numbers", value);
        }
        return remember(key, list.stream().map(v -> ((Number) v).doubleValue()).toList());
    }

    public long longValue(String key, long defaultValue) {
        Object value = raw.get(key);
        if (value == null) {
            return remember(key, defaultValue);
        }
        if (!(value instanceof Long || value instanceof Integer)) {
            throw wrongType(key, "an integer", value);
        }
        return remember(key, ((Number) value).longValue());
    }

    /** A number above 0 and at most {@code max}. */
    public double positiveNumber(String key, double defaultValue, double max) {
        Object value = raw.get(key);
        if (value == null) {
            return remember(key, defaultValue);
        }
        if (!(value instanceof Number number)) {
            throw wrongType(key, "a number", value);
        }
        double d = number.doubleValue();
        if (!(d > 0 && d <= max)) {
            throw new IllegalArgumentException("Configuration '" + key + "' must be above 0 and at most " + format(max)
                    + ", got " + format(value));
        }
        return remember(key, d);
    }

    /** A number in [min, max] (or [min, max) when {@code maxExclusive}). */
    public double number(String key, double defaultValue, double min, double max, boolean maxExclusive) {
        Object value = raw.get(key);
        if (value == null) {
            return remember(key, defaultValue);
        }
        if (!(value instanceof Number number)) {
            throw wrongType(key, "a number", value);
        }
        double d = number.doubleValue();
        if (!(d >= min && (maxExclusive ? d < max : d <= max))) {
            throw new IllegalArgumentException("Configuration '" + key + "' must be in [" + format(min) + ", "
                    + format(max) + (maxExclusive ? ")" : "]") + ", got " + format(value));
        }
        return remember(key, d);
    }

    /** {@code concurrency}: threads to use, all cores by default. */
    public int concurrency() {
        return TrainKeys.CONCURRENCY.read(this);
    }

    /** {@code device}: 'auto' (the default), 'cpu' or 'gpu'. */
    public String device() {
        return TrainKeys.DEVICE.read(this);
    }

    public boolean bool(String key, boolean defaultValue) {
        Object value = raw.get(key);
        if (value == null) {
            return remember(key, defaultValue);
        }
        if (!(value instanceof Boolean b)) {
            throw wrongType(key, "true or false", value);
        }
        return remember(key, b);
    }

    /** One of {@code choices} (case-insensitive); returned as written in {@code choices}. */
    public String choice(String key, String defaultValue, List<String> choices) {
        Object value = raw.get(key);
        if (value == null) {
            return remember(key, defaultValue);
        }
        if (!(value instanceof String s)) {
            throw wrongType(key, "one of " + choices, value);
        }
        for (String choice : choices) {
            if (choice.equalsIgnoreCase(s)) {
                return remember(key, choice);
            }
        }
        throw new IllegalArgumentException("Configuration '" + key + "' must be one of " + choices + ", got '" + s
                + "'");
    }

    private <T> T remember(String key, T value) {
        used.put(key, value);
        return value;
    }

    private static String range(long min, long max) {
        if (max == Integer.MAX_VALUE) {
            return "at least " + min;
        }
        return "between " + min + " and " + max;
    }

    static IllegalArgumentException wrongType(String key, String expected, Object value) {
        return new IllegalArgumentException("Configuration '" + key + "' must be " + expected + ", got "
                + describe(value));
    }

    /**
     * The nodes a list under {@code key} gives, as Neo4j ids in the given order (duplicates kept), each a node or
     * a node id; null when the key is absent.
     */
    public List<Long> nodeIds(String key) {
        Object value = raw.get(key);
        if (value == null) {
            return null;
        }
        if (!(value instanceof List<?> list)) {
            throw wrongType(key, "a list of nodes or node ids", value);
        }
        if (list.isEmpty()) {
            throw new IllegalArgumentException("Configuration '" + key + "' is an empty list; give at least one node "
                    + "or node id, or leave the key out for every node");
        }
        List<Long> ids = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            ids.add(nodeId(list.get(i), "Configuration '" + key + "' entry " + i));
        }
        return ids;
    }

    /** A node given as a Node or as its id; {@code where} names the argument or entry in the error. */
    @SuppressWarnings("deprecation")
    public static long nodeId(Object node, String where) {
        if (node instanceof org.neo4j.graphdb.Node n) {
            return n.getId();
        }
        if (node instanceof Long || node instanceof Integer) {
            return ((Number) node).longValue();
        }
        throw new IllegalArgumentException(where + " must be a node or a node id, got "
                + (node == null ? "null" : describe(node)));
    }

    /** A value as error messages show it: "the string 'x'", "the list [..]", "3 (long)". */
    public static String describe(Object value) {
        if (value instanceof String s) {
            return "the string '" + s + "'";
        }
        if (value instanceof List<?> list) {
            return "the list " + list;
        }
        if (value instanceof Map<?, ?>) {
            return "a map";
        }
        return format(value) + " (" + value.getClass().getSimpleName().toLowerCase(Locale.ROOT) + ")";
    }

    private static String format(Object value) {
        return String.valueOf(value);
    }

    /** Keys in both sets of alternatives, e.g. to reject splitProperty together with trainFraction. */
    public static Set<String> present(ConfigMap config, String... keys) {
        Set<String> present = new TreeSet<>();
        for (String key : keys) {
            if (config.has(key)) {
                present.add(key);
            }
        }
        return present;
    }
}
